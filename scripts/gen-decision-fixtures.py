#!/usr/bin/python3
"""Reference values for Rudder's paired canary statistics (src/rollout/paired.ts).

Run once, by hand, when the statistics change; the JSON it writes is committed and
test/unit/rollout/paired.test.ts compares against it without Python:

    apt-get install -y python3-scipy python3-sklearn python3-numpy   # Debian 12: scipy 1.10.1,
    /usr/bin/python3 scripts/gen-decision-fixtures.py                 # sklearn 1.2.1, numpy 1.24.2

Independent of the TypeScript on purpose:
- DeLong is the textbook O(n^2) form (DeLong, DeLong & Clarke-Pearson 1988): the kernel
  psi(x, y) = 1 if x > y, 1/2 if x == y, 0 otherwise over every (positive, negative) pair, the
  structural components as its row and column means, their sample covariances (ddof 1). The
  TypeScript uses placement values from sorted scores (Sun & Xu 2014), O(n log n).
- AUCs also come from sklearn's roc_auc_score (trapezoids, another algorithm again).
- Paired mean differences come from scipy.stats.ttest_rel and numpy's var(ddof=1).
- The confidence-sequence radius is written in the paper's parameterisation (Waudby-Smith et al.
  2023, Theorem 2.2: rho multiplies sigma), the TypeScript in the standardised one.
"""
import json
import os

import numpy as np
import scipy
import sklearn
from scipy import stats
from sklearn.metrics import roc_auc_score

OUT = os.path.join(os.path.dirname(__file__), '..', 'test', 'fixtures', 'decisions', 'reference.json')
EPS = np.finfo(np.float64).eps


def delong_quadratic(y, s1, s2):
    y = np.asarray(y)
    comps = []
    aucs = []
    for s in (np.asarray(s1, dtype=np.float64), np.asarray(s2, dtype=np.float64)):
        x = s[y == 1][:, None]
        z = s[y != 1][None, :]
        psi = (x > z).astype(np.float64) + 0.5 * (x == z)
        aucs.append(psi.mean())
        comps.append((psi.mean(axis=1), psi.mean(axis=0)))
    m = int((y == 1).sum())
    n = len(y) - m
    s10 = np.cov(np.vstack([comps[0][0], comps[1][0]]), ddof=1)
    s01 = np.cov(np.vstack([comps[0][1], comps[1][1]]), ddof=1)
    S = s10 / m + s01 / n
    diff = aucs[0] - aucs[1]
    var = S[0, 0] + S[1, 1] - 2 * S[0, 1]
    z = diff / np.sqrt(var)
    return {
        'positives': m,
        'negatives': n,
        'auc1': float(aucs[0]),
        'auc2': float(aucs[1]),
        'sklearnAuc1': float(roc_auc_score(y, s1)),
        'sklearnAuc2': float(roc_auc_score(y, s2)),
        'difference': float(diff),
        'covariance': [float(S[0, 0]), float(S[0, 1]), float(S[1, 1])],
        'variance': float(var),
        'z': float(z),
        'pValue': float(2 * stats.norm.sf(abs(z))),
    }


def row_losses(kind, y, p):
    y = np.asarray(y, dtype=np.float64)
    p = np.asarray(p, dtype=np.float64)
    if kind == 'logloss':
        q = np.clip(p, EPS, 1 - EPS)
        return np.where(y == 1, -np.log(q), -np.log(1 - q))
    if kind == 'brier':
        return (p - y) ** 2
    return np.abs(y - p)


def paired(a, b):
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    d = a - b
    t = stats.ttest_rel(a, b)
    return {
        'n': len(d),
        'mean1': float(a.mean()),
        'mean2': float(b.mean()),
        'difference': float(d.mean()),
        'variance': float(np.var(d, ddof=1)),
        'se': float(np.sqrt(np.var(d, ddof=1) / len(d))),
        't': float(t.statistic),
        'tPValue': float(t.pvalue),
    }


def cs_radius(t, sigma2, alpha, target_n):
    """Waudby-Smith et al. (2023), Theorem 2.2, rho in the paper's units (it multiplies sigma):
    rho_paper = rho_std / sigma with rho_std^2 = (-2 ln a + ln(1 - 2 ln a)) / t* (their choice
    of rho for a target sample size t*, standardised)."""
    la = np.log(alpha)
    rho_std2 = (-2 * la + np.log(1 - 2 * la)) / target_n
    rho2 = rho_std2 / sigma2
    a = t * sigma2 * rho2 + 1
    return float(np.sqrt(2 * a / (t * t * rho2) * np.log(np.sqrt(a) / alpha)))


def correlated_scores(rng, n, prevalence, mu1, mu2, shared, decimals=None):
    y = (rng.random_sample(n) < prevalence).astype(int)
    u = rng.normal(0, 1, n)
    def one(mu):
        e = rng.normal(0, 1, n)
        s = mu * y + np.sqrt(shared) * u + np.sqrt(1 - shared) * e
        p = 1 / (1 + np.exp(-(s - mu / 2)))
        return np.round(p, decimals if decimals is not None else 12)
    return y, one(mu1), one(mu2)


def datasets():
    rng = np.random.RandomState(20260219)
    out = []
    out.append(('small-n-ties', [1, 0, 1, 0, 0, 1, 0, 0],
                [0.9, 0.2, 0.5, 0.5, 0.1, 0.7, 0.7, 0.3],
                [0.6, 0.4, 0.4, 0.6, 0.2, 0.8, 0.3, 0.3]))
    y, a, b = correlated_scores(rng, 60, 0.4, 1.2, 0.9, 0.5, decimals=1)
    out.append(('ties-rounded-1dp', y, a, b))
    y, a, b = correlated_scores(rng, 500, 0.05, 1.5, 1.3, 0.6)
    out.append(('imbalanced-5pct', y, a, b))
    y, a, b = correlated_scores(rng, 2000, 0.3, 1.19, 1.0, 0.7)
    out.append(('n2000-correlated', y, a, b))
    y, a, b = correlated_scores(rng, 2000, 0.3, 1.19, 1.19, 0.7, decimals=2)
    out.append(('n2000-equal-quality-2dp', y, a, b))
    y, a, b = correlated_scores(rng, 300, 0.5, 4.0, 1.0, 0.2)
    out.append(('near-separable', y, a, b))
    y, a, b = correlated_scores(rng, 1500, 0.3, 0.8, 1.19, 0.7, decimals=3)
    out.append(('n1500-challenger-worse-3dp', y, a, b))
    return [(name, [int(v) for v in y], [float(v) for v in a], [float(v) for v in b]) for name, y, a, b in out]


def main():
    alpha, target_n, m = 0.05, 2000, 0.05
    doc = {
        'generator': 'scripts/gen-decision-fixtures.py',
        'numpy': np.__version__,
        'scipy': scipy.__version__,
        'sklearn': sklearn.__version__,
        'alpha': alpha,
        'targetN': target_n,
        'maxDegradation': m,
        'cases': [],
        'radius': [],
    }
    for name, y, a, b in datasets():
        case = {'name': name, 'y': y, 'challenger': a, 'champion': b,
                'delong': delong_quadratic(y, a, b), 'losses': {}}
        d = case['delong']
        S11, S12, S22 = d['covariance']
        n = len(y)
        # The decision's statistic for AUC, relative maxDegradation: excess = (1 - m) A_champion
        # - A_challenger (> 0: worse than allowed), its DeLong variance, the CS at n rows.
        k = 1 - m
        excess = k * d['auc2'] - d['auc1']
        var = S11 + k * k * S22 - 2 * k * S12
        r = cs_radius(n, n * var, alpha, target_n)
        case['aucDecision'] = {'excess': float(excess), 'variance': float(var), 'radius': r,
                               'lower': float(excess - r), 'upper': float(excess + r)}
        for kind in ('logloss', 'brier', 'absolute'):
            la = row_losses(kind, y, a)
            lb = row_losses(kind, y, b)
            pm = paired(la, lb)
            # Relative maxDegradation for a loss: per-row L_challenger - (1 + m) L_champion.
            e = la - (1 + m) * lb
            ev = float(np.var(e, ddof=1))
            er = cs_radius(n, ev, alpha, target_n) if ev > 0 else 0.0
            pm['decision'] = {'excess': float(e.mean()), 'variance': ev, 'radius': er,
                              'lower': float(e.mean() - er), 'upper': float(e.mean() + er)}
            case['losses'][kind] = pm
        doc['cases'].append(case)
    for t in (10, 50, 100, 1000, 2000, 10000, 1000000):
        for sigma2 in (0.01, 0.25, 4.0):
            for a in (0.05, 0.01):
                doc['radius'].append({'t': t, 'variance': sigma2, 'alpha': a, 'targetN': target_n,
                                      'radius': cs_radius(t, sigma2, a, target_n)})
    os.makedirs(os.path.dirname(OUT), exist_ok=True)
    with open(OUT, 'w') as f:
        json.dump(doc, f, indent=None, separators=(',', ':'), sort_keys=True)
        f.write('\n')
    print(f'wrote {OUT}: {len(doc["cases"])} datasets, {len(doc["radius"])} radii')


if __name__ == '__main__':
    main()
