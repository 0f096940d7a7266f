#!/usr/bin/python3
"""Reference values for Rudder's drift statistics (src/observe/stats), computed with scipy.

Run once, by hand, when the statistics change; the JSON it writes is committed and the tests
(test/unit/observe/stats) compare against it without Python:

    apt-get install -y python3-scipy python3-numpy     # Debian 12: scipy 1.10.1, numpy 1.24.2
    /usr/bin/python3 scripts/gen-drift-fixtures.py

Small samples are written out as values. Large ones are described by a generator that both
languages evaluate bit-identically (integer arithmetic, then one division, multiply and add),
so the fixture stays small: x_i = ((a*i + c) mod m / m)^p * scale + shift, i = 0..n-1.
"""
import json
import os
import sys

import numpy as np
import scipy
from scipy import stats
from scipy.spatial import distance
from scipy.special import smirnov

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'drift', 'scipy.json')


def gen(spec):
    i = np.arange(spec['n'], dtype=np.int64)
    u = ((spec['a'] * i + spec['c']) % spec['m']).astype(np.float64) / float(spec['m'])
    if spec['p'] == 2:
        u = u * u
    return u * float(spec['scale']) + float(spec['shift'])


def values(case):
    return np.asarray(case, dtype=np.float64) if isinstance(case, list) else gen(case)


def psi(ref, cur, bins=10):
    """Rudder's PSI definition: reference-decile bins, (lo, hi], empty bins at 1e-4."""
    edges = np.quantile(np.sort(ref), [k / bins for k in range(1, bins)])
    r = np.bincount(np.searchsorted(edges, ref, side='left'), minlength=bins) / len(ref)
    c = np.bincount(np.searchsorted(edges, cur, side='left'), minlength=bins) / len(cur)
    r = np.where(r == 0, 1e-4, r)
    c = np.where(c == 0, 1e-4, c)
    return float(np.sum((c - r) * np.log(c / r))), [float(e) for e in edges]


def main():
    rng = np.random.RandomState(20260130)
    r2 = lambda a: [float(x) for x in np.round(a, 2)]
    r0 = lambda a: [float(x) for x in np.round(a, 0)]
    pairs = {
        'one-vs-one': ([1.0], [2.0]),
        'one-vs-one-equal': ([1.0], [1.0]),
        'tiny-3-vs-5': ([0.1, 0.5, 0.9], [0.2, 0.3, 0.4, 1.5, 2.0]),
        'tiny-ties': ([1, 1, 2, 2, 3], [1, 2, 2, 3, 3, 3]),
        'constant-same': ([4.0] * 20, [4.0] * 30),
        'constant-different': ([4.0] * 20, [5.0] * 30),
        'constant-vs-spread': ([0.0] * 40, r2(rng.normal(0, 1, 35))),
        'equal-n-50': (r2(rng.normal(0, 1, 50)), r2(rng.normal(0.3, 1, 50))),
        'equal-n-200-ties': (r0(rng.normal(10, 3, 200)), r0(rng.normal(10.5, 3, 200))),
        'unequal-80-130': (r2(rng.normal(0, 1, 80)), r2(rng.normal(0.2, 1.2, 130))),
        'unequal-997-1000-ties': (r0(rng.exponential(5, 997)), r0(rng.exponential(5.5, 1000))),
        'no-shift-300-450': (r2(rng.normal(5, 2, 300)), r2(rng.normal(5, 2, 450))),
        'large-shift-150-90': (r2(rng.normal(0, 1, 150)), r2(rng.normal(3, 1, 90))),
        'exact-max-10000-9999': (
            {'n': 10000, 'a': 7919, 'c': 13, 'm': 10007, 'p': 1, 'scale': 100, 'shift': 0},
            {'n': 9999, 'a': 104729, 'c': 7, 'm': 10009, 'p': 1, 'scale': 98, 'shift': 1.5},
        ),
        'exact-equal-10000': (
            {'n': 10000, 'a': 7919, 'c': 13, 'm': 10007, 'p': 2, 'scale': 100, 'shift': 0},
            {'n': 10000, 'a': 104729, 'c': 7, 'm': 10009, 'p': 2, 'scale': 100, 'shift': 0.4},
        ),
        'asymp-small-shift-12000-20000': (
            {'n': 12000, 'a': 7919, 'c': 13, 'm': 12007, 'p': 1, 'scale': 1, 'shift': 0},
            {'n': 20000, 'a': 104729, 'c': 7, 'm': 20011, 'p': 1, 'scale': 1, 'shift': 0.004},
        ),
        'asymp-mid-shift-50000-30000': (
            {'n': 50000, 'a': 7919, 'c': 13, 'm': 50021, 'p': 2, 'scale': 10, 'shift': 0},
            {'n': 30000, 'a': 104729, 'c': 7, 'm': 30011, 'p': 2, 'scale': 10, 'shift': 0.08},
        ),
        'asymp-big-shift-40000-40000': (
            {'n': 40000, 'a': 7919, 'c': 13, 'm': 40009, 'p': 1, 'scale': 1, 'shift': 0},
            {'n': 40000, 'a': 104729, 'c': 7, 'm': 40013, 'p': 1, 'scale': 1.2, 'shift': 0.1},
        ),
        'asymp-ties-15000-11000': (
            {'n': 15000, 'a': 7919, 'c': 13, 'm': 97, 'p': 1, 'scale': 97, 'shift': 0},
            {'n': 11000, 'a': 104729, 'c': 7, 'm': 89, 'p': 1, 'scale': 97, 'shift': 0},
        ),
    }
    two_sample = []
    for name, (a, b) in pairs.items():
        x, y = values(a), values(b)
        ks = stats.ks_2samp(x, y, method='auto')
        w1 = stats.wasserstein_distance(x, y)
        p, edges = psi(x, y)
        two_sample.append({
            'name': name,
            'reference': a,
            'current': b,
            'ks': {'statistic': float(ks.statistic), 'pvalue': float(ks.pvalue)},
            'wasserstein': float(w1),
            'referenceStd': float(np.std(x)),
            'wassersteinNormed': float(w1 / max(np.std(x), 0.001)),
            'psi': p,
            'psiEdges': edges,
        })

    kstwo = []
    for n in [3, 7, 20, 60, 140, 141, 500, 1000, 5000, 20000, 100000, 100001, 400000, 2000000, 5000000]:
        for x in [0.001, 0.004, 0.01, 0.02, 0.05, 0.08, 0.12, 0.2, 0.3, 0.45, 0.5, 0.6, 0.8, 0.95]:
            kstwo.append({'n': n, 'x': x, 'sf': float(stats.kstwo.sf(x, n)), 'cdf': float(stats.kstwo.cdf(x, n))})
    smirnov_cases = []
    for n in [2, 5, 10, 50, 200, 1000, 1012, 1013, 50000, 999999, 1000001, 3000000]:
        for x in [0.0005, 0.002, 0.01, 0.03, 0.1, 0.25, 0.5, 0.75, 0.99]:
            smirnov_cases.append({'n': n, 'x': x, 'sf': float(smirnov(n, x))})

    categorical = []
    cat_cases = {
        'three-categories': ([50, 30, 20], [40, 35, 25]),
        'shifted': ([500, 300, 200, 0], [200, 300, 400, 100]),
        'identical': ([10, 20, 30], [10, 20, 30]),
        'scaled': ([100, 200, 300, 400], [15, 30, 45, 60]),
        'two-categories': ([700, 300], [650, 350]),
        'many': ([int(v) for v in rng.randint(1, 200, 40)], [int(v) for v in rng.randint(1, 200, 40)]),
    }
    for name, (ref, cur) in cat_cases.items():
        r = np.asarray(ref, dtype=np.float64)
        c = np.asarray(cur, dtype=np.float64)
        f_exp = r * (c.sum() / r.sum())
        with np.errstate(divide='ignore', invalid='ignore'):
            chi = stats.chisquare(c, f_exp) if np.all(r > 0) else None
        js = distance.jensenshannon(r / r.sum(), c / c.sum())
        categorical.append({
            'name': name,
            'reference': ref,
            'current': cur,
            'chiSquare': None if chi is None else {'statistic': float(chi.statistic), 'pvalue': float(chi.pvalue)},
            'jensenShannon': float(js),
        })

    ztest = []
    for k1, n1, k2, n2 in [(30, 100, 45, 100), (500, 1000, 510, 1000), (10, 400, 40, 300), (5, 20, 18, 25)]:
        p1, p2 = k1 / n1, k2 / n2
        P = float(p1 * n1 + p2 * n2) / (n1 + n2)
        z = (p1 - p2) / np.sqrt(P * (1 - P) * (1.0 / n1 + 1.0 / n2))
        ztest.append({'k1': k1, 'n1': n1, 'k2': k2, 'n2': n2, 'z': float(z),
                      'pvalue': float(2 * (1 - stats.norm.cdf(np.abs(z))))})

    quantiles = []
    for name, data in {'odd': [3.0, 1.0, 2.0, 10.0, 7.0], 'ties': [1, 1, 1, 2, 2, 5, 9, 9, 9, 9, 12],
                       'spread': r2(rng.normal(0, 1, 37))}.items():
        xs = np.sort(np.asarray(data, dtype=np.float64))
        quantiles.append({'name': name, 'values': [float(v) for v in data],
                          'q': [float(v) for v in np.quantile(xs, [k / 10 for k in range(1, 10)])]})

    doc = {
        'generatedBy': 'scripts/gen-drift-fixtures.py',
        'scipy': scipy.__version__,
        'numpy': np.__version__,
        'python': sys.version.split()[0],
        'twoSample': two_sample,
        'kstwo': kstwo,
        'smirnov': smirnov_cases,
        'categorical': categorical,
        'zTest': ztest,
        'quantiles': quantiles,
    }
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(doc, f, indent=1, sort_keys=True)
        f.write('\n')
    print(f'wrote {os.path.relpath(OUT)}: {len(two_sample)} two-sample cases, {len(kstwo)} kstwo, '
          f'{len(smirnov_cases)} smirnov, {len(categorical)} categorical')


if __name__ == '__main__':
    main()
