// Decision quality of canary analysis (issue 19): simulated labelled-prediction streams where the
// truth is known, judged at every reconcile pass (every LOOK new labelled challenger rows, up to
// CAP) by two rules side by side:
//
// - paired (src/rollout/paired.ts): the champion shadow-scores the challenger's requests; the
//   decision rests on the paired difference (DeLong for AUC, per-row losses otherwise) and the
//   asymptotic confidence sequence: rollback / advance / wait.
// - naive (today's analysis.ts, Argo Rollouts / Flagger analysis): point estimates on disjoint
//   slices (the challenger's 10 % sticky slice vs the champion's other 90 %, nine champion rows
//   per challenger row) against the fixed maxDegradation threshold; every pass measures, the
//   first failed measurement rolls back (failureLimit 0), no failure by the end of the hold
//   (CAP) advances.
//
// Both rules see the same streams and decide from MIN_SAMPLES challenger rows on. Seeded,
// deterministic.   npx tsx bench/decisions.ts   (RUNS=… to change the number of runs)
// The drift table (the window's construction on entities with uneven traffic) follows; PART=drift
// runs only it.
import normalCdf from '@stdlib/stats-base-dists-normal-cdf';
import { decideCanary, DEFAULT_TARGET_N, type PairedMetric } from '../src/rollout/paired.ts';
import { computeMetrics } from '../src/trainer/evaluation/metrics.ts';
import { Rng } from '../src/util/rng.ts';
import { driftBench } from './drift-window.ts';

const ALPHA = 0.05;
const MAX_DEGRADATION = 0.05; // relative, analysis.ts's meaning
const LOOK = 50;
const CAP = Number(process.env.CAP ?? 4000);
const MIN_SAMPLES = 100; // analysis.ts's default minSamples
const RUNS = Number(process.env.RUNS ?? 1000);
const PREVALENCE = 0.3;
const CHAMPION_MU = 1.19; // class separation: AUC Φ(μ/√2) ≈ 0.80
const SHARED = 0.7; // share of score noise common to both models (they err on the same entities)
const BINS = 1000; // scores are logged rounded to 0.001 (ties, as real logs have)

/** A model: class separation μ; its scores are calibrated posteriors of N(μ·y, 1). */
interface Scenario {
  name: string;
  metric: PairedMetric;
  challengerMu: number;
  /** The challenger is the champion (same scores), not merely as good. */
  identical?: boolean;
  /** Truly worse than maxDegradation allows: a rollback is right; otherwise a rollback is false. */
  worse: boolean;
  /** Exactly maxDegradation worse: the hardest case for α (rollback and advance are both errors). */
  boundary?: boolean;
}

const logit = (p: number): number => Math.log(p / (1 - p));
const prob = (mu: number, s: number): number =>
  1 / (1 + Math.exp(-(mu * s - (mu * mu) / 2 + logit(PREVALENCE))));
const logged = (p: number): number => Math.min(BINS - 1, Math.max(1, Math.round(p * BINS))) / BINS;

/** Expected log loss of the calibrated model μ (trapezoid rule over the score density). */
function expectedLogloss(mu: number): number {
  const phi = (x: number): number => Math.exp((-x * x) / 2) / Math.sqrt(2 * Math.PI);
  let s = 0;
  const h = 0.001;
  for (let x = -12; x <= 12 + mu; x += h) {
    const p = prob(mu, x);
    s += h * (PREVALENCE * phi(x - mu) * -Math.log(p) + (1 - PREVALENCE) * phi(x) * -Math.log(1 - p));
  }
  return s;
}

function bisect(f: (x: number) => number, target: number, lo: number, hi: number): number {
  for (let i = 0; i < 80; i++) {
    const mid = (lo + hi) / 2;
    if ((f(mid) - target) * (f(lo) - target) > 0) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

const auc = (mu: number): number => normalCdf(mu / Math.SQRT2, 0, 1);

/** Gaussian draws two at a time (Box–Muller keeps both; Rng.normal drops one). */
class Normals {
  private spare = Number.NaN;
  constructor(readonly rng: Rng) {}
  next(): number {
    if (!Number.isNaN(this.spare)) {
      const z = this.spare;
      this.spare = Number.NaN;
      return z;
    }
    const r = Math.sqrt(-2 * Math.log(1 - this.rng.next()));
    const t = 2 * Math.PI * this.rng.next();
    this.spare = r * Math.sin(t);
    return r * Math.cos(t);
  }
}

/** One run's paired rows: the challenger's slice, scored by both versions (shadow scoring). */
interface Stream {
  y: Float64Array;
  challenger: Float64Array;
  shadow: Float64Array; // the champion's score on the challenger's rows
}

function stream(g: Normals, sc: Scenario): Stream {
  const out: Stream = {
    y: new Float64Array(CAP),
    challenger: new Float64Array(CAP),
    shadow: new Float64Array(CAP),
  };
  const a = Math.sqrt(SHARED);
  const b = Math.sqrt(1 - SHARED);
  for (let i = 0; i < CAP; i++) {
    const y = g.rng.chance(PREVALENCE) ? 1 : 0;
    const u = g.next();
    const eb = g.next();
    const ec = sc.identical ? eb : g.next();
    out.y[i] = y;
    out.shadow[i] = logged(prob(CHAMPION_MU, CHAMPION_MU * y + a * u + b * eb));
    out.challenger[i] = logged(prob(sc.challengerMu, sc.challengerMu * y + a * u + b * ec));
  }
  return out;
}

/**
 * The champion's own 90 % (the naive rule's baseline): independent rows whose (label, logged
 * score) has a fixed discrete law — drawn from its exact CDF (one uniform a row), which is the
 * same law stream() samples through Gaussians, only cheaper for nine rows in ten.
 */
class ChampionRows {
  private readonly cdf: Float64Array;
  constructor() {
    const sOf = (p: number): number =>
      (logit(p) - logit(PREVALENCE) + (CHAMPION_MU * CHAMPION_MU) / 2) / CHAMPION_MU;
    this.cdf = new Float64Array(2 * BINS);
    let acc = 0;
    for (let y = 0; y <= 1; y++)
      for (let k = 1; k < BINS; k++) {
        const lo = k === 1 ? -Infinity : sOf((k - 0.5) / BINS);
        const hi = k === BINS - 1 ? Infinity : sOf((k + 0.5) / BINS);
        const w = y === 1 ? PREVALENCE : 1 - PREVALENCE;
        const shift = y * CHAMPION_MU;
        acc += w * (normalCdf(hi - shift, 0, 1) - normalCdf(lo - shift, 0, 1));
        this.cdf[y * BINS + k] = acc;
      }
    for (let y = 0; y <= 1; y++) this.cdf[y * BINS] = y === 0 ? 0 : this.cdf[BINS - 1]!;
  }
  /** Where the CDF passes k/GUIDE: the cutpoint method starts its scan there (O(1) a draw). */
  private guide?: Uint32Array;
  /** y·BINS + bin, one draw. */
  draw(rng: Rng): number {
    const total = this.cdf[2 * BINS - 1]!;
    if (!this.guide) {
      this.guide = new Uint32Array(2 * BINS);
      for (let k = 0, i = 0; k < this.guide.length; k++) {
        while (this.cdf[i]! <= (k / this.guide.length) * total) i++;
        this.guide[k] = i;
      }
    }
    const u = rng.next() * total;
    let i = this.guide[Math.floor((u / total) * this.guide.length)]!;
    while (this.cdf[i]! <= u) i++;
    return i;
  }
}

const NEG_LOG = Float64Array.from({ length: BINS + 1 }, (_, k) => -Math.log(k / BINS));
const NEG_LOG_1M = Float64Array.from({ length: BINS + 1 }, (_, k) => -Math.log(1 - k / BINS));

/** A slice's running AUC (score histograms per class; ties count ½) and mean log loss. */
class SliceMetric {
  private readonly pos = new Float64Array(BINS + 1);
  private readonly neg = new Float64Array(BINS + 1);
  private loss = 0;
  private n = 0;
  add(y: number, bin: number): void {
    (y === 1 ? this.pos : this.neg)[bin]!++;
    this.loss += y === 1 ? NEG_LOG[bin]! : NEG_LOG_1M[bin]!;
    this.n++;
  }
  value(metric: PairedMetric): number {
    if (metric === 'logloss') return this.loss / this.n;
    let below = 0;
    let concordant = 0;
    let np = 0;
    for (let k = 0; k <= BINS; k++) {
      concordant += this.pos[k]! * (below + this.neg[k]! / 2);
      below += this.neg[k]!;
      np += this.pos[k]!;
    }
    return concordant / (np * below);
  }
}

type Outcome = { decision: 'rollback' | 'advance' | 'none'; at: number };

function naive(s: Stream, metric: PairedMetric, rng: Rng, champion: ChampionRows): Outcome {
  const mine = new SliceMetric();
  const theirs = new SliceMetric();
  for (let n = 1; n <= CAP; n++) {
    mine.add(s.y[n - 1]!, Math.round(s.challenger[n - 1]! * BINS));
    for (let k = 0; k < 9; k++) {
      const d = champion.draw(rng);
      theirs.add(d >= BINS ? 1 : 0, d % BINS);
    }
    if (n % LOOK !== 0 || n < MIN_SAMPLES) continue;
    const v = mine.value(metric);
    const base = theirs.value(metric);
    // analysis.ts: relative degradation in the metric's worse direction.
    const worse = metric === 'auc' ? base - v : v - base;
    if (worse / Math.abs(base) > MAX_DEGRADATION) return { decision: 'rollback', at: n };
  }
  return { decision: 'advance', at: CAP };
}

function paired(s: Stream, metric: PairedMetric): Outcome {
  for (let n = LOOK; n <= CAP; n += LOOK) {
    const d = decideCanary(
      {
        metric,
        y: s.y.subarray(0, n),
        challenger: s.challenger.subarray(0, n),
        champion: s.shadow.subarray(0, n),
      },
      { maxDegradation: MAX_DEGRADATION, alpha: ALPHA, minSamples: MIN_SAMPLES },
    );
    if (d.decision !== 'wait') return { decision: d.decision, at: n };
  }
  return { decision: 'none', at: CAP };
}

interface Tally {
  rollbacks: number[];
  advances: number[];
  none: number;
}

function simulate(sc: Scenario, seed: number, champion: ChampionRows): { paired: Tally; naive: Tally } {
  const rng = new Rng(seed);
  const g = new Normals(rng);
  const t = (): Tally => ({ rollbacks: [], advances: [], none: 0 });
  const out = { paired: t(), naive: t() };
  for (let r = 0; r < RUNS; r++) {
    const s = stream(g, sc);
    for (const [rule, o] of [
      ['paired', paired(s, sc.metric)],
      ['naive', naive(s, sc.metric, rng, champion)],
    ] as const) {
      const tally = out[rule];
      if (o.decision === 'rollback') tally.rollbacks.push(o.at);
      else if (o.decision === 'advance') tally.advances.push(o.at);
      else tally.none++;
    }
  }
  return out;
}

/**
 * The shortcuts agree with the slow way: the histogram AUC is metrics.ts's (sklearn's), and the
 * champion rows drawn from the CDF have the law of the shadow scores (AUC and log loss of 300,000
 * rows each way). Returns the largest disagreement.
 */
function selfCheck(champion: ChampionRows): string {
  const rng = new Rng(7);
  const g = new Normals(rng);
  const viaStream = new SliceMetric();
  const viaCdf = new SliceMetric();
  let aucGap = 0;
  for (let r = 0; r < 100; r++) {
    const s = stream(g, { name: '', metric: 'auc', challengerMu: CHAMPION_MU, worse: false });
    const h = new SliceMetric();
    s.shadow.forEach((p, i) => {
      h.add(s.y[i]!, Math.round(p * BINS));
      viaStream.add(s.y[i]!, Math.round(p * BINS));
    });
    const ref = computeMetrics(['auc'], { task: 'binary-classification', y: s.y, p: s.shadow }).auc!;
    aucGap = Math.max(aucGap, Math.abs(h.value('auc') - ref));
    for (let k = 0; k < CAP; k++) {
      const d = champion.draw(rng);
      viaCdf.add(d >= BINS ? 1 : 0, d % BINS);
    }
  }
  const f = (x: number): string => x.toFixed(4);
  return `histogram AUC vs metrics.ts rocAuc: max |Δ| ${aucGap.toExponential(1)}; champion rows via Gaussians vs via the CDF: AUC ${f(viaStream.value('auc'))} vs ${f(viaCdf.value('auc'))}, log loss ${f(viaStream.value('logloss'))} vs ${f(viaCdf.value('logloss'))}`;
}

const median = (xs: number[]): number => {
  if (xs.length === 0) return Number.NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};
const pct = (k: number): string => `${((k / RUNS) * 100).toFixed(1)}%`;
const ratio = (a: number, b: number): string => (b === 0 ? (a === 0 ? '—' : '∞') : `${(a / b).toFixed(2)}×`);

export { bisect, expectedLogloss, auc };

function scenarios(): Scenario[] {
  const aucWorse = bisect(auc, (1 - 2 * MAX_DEGRADATION) * auc(CHAMPION_MU), 0.01, CHAMPION_MU);
  const lossAt = (k: number): number =>
    bisect(
      (mu) => -expectedLogloss(mu),
      -(1 + k * MAX_DEGRADATION) * expectedLogloss(CHAMPION_MU),
      0.01,
      CHAMPION_MU,
    );
  const lossWorse = bisect(
    (mu) => -expectedLogloss(mu),
    -(1 + 2 * MAX_DEGRADATION) * expectedLogloss(CHAMPION_MU),
    0.01,
    CHAMPION_MU,
  );
  return [
    { name: 'A/A, identical model', metric: 'auc', challengerMu: CHAMPION_MU, identical: true, worse: false },
    {
      name: 'A/A, identical model',
      metric: 'logloss',
      challengerMu: CHAMPION_MU,
      identical: true,
      worse: false,
    },
    { name: 'A/A, retrained, as good', metric: 'auc', challengerMu: CHAMPION_MU, worse: false },
    { name: 'A/A, retrained, as good', metric: 'logloss', challengerMu: CHAMPION_MU, worse: false },
    { name: `worse by 2×maxDegradation`, metric: 'auc', challengerMu: aucWorse, worse: true },
    { name: `worse by 2×maxDegradation`, metric: 'logloss', challengerMu: lossWorse, worse: true },
    // At the threshold every call but 'wait' is wrong; the CS bounds both together by α. (AUC
    // here would run DeLong at all 80 looks of every run: minutes, so log loss only.)
    {
      name: 'exactly maxDegradation worse',
      metric: 'logloss',
      challengerMu: lossAt(1),
      worse: false,
      boundary: true,
    },
    // Drift scenarios go here (issue 19, later work): a champion whose quality decays during
    // the canary, label delay, a shift in the challenger's slice — each a Scenario with its own
    // stream() variant and the same two rules and table.
  ];
}

function main(): void {
  const started = performance.now();
  console.log(
    `α ${ALPHA}, maxDegradation ${MAX_DEGRADATION * 100}% (relative), a look every ${LOOK} labelled challenger rows from ${MIN_SAMPLES} to ${CAP}, ${RUNS} runs per scenario, CS tuned for t* = ${DEFAULT_TARGET_N}`,
  );
  console.log(
    `champion AUC ${auc(CHAMPION_MU).toFixed(3)}, log loss ${expectedLogloss(CHAMPION_MU).toFixed(4)}; tolerance for a false-rollback rate: α + 3·√(α(1−α)/runs) = ${((ALPHA + 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / RUNS)) * 100).toFixed(1)}%`,
  );
  const header =
    '| scenario | metric | truth | rule | rollback | advance | undecided at cap | median rows to rollback | median rows to advance |';
  console.log(`\n${header}\n|${' --- |'.repeat(9)}`);
  const ratios: string[] = [];
  let seed = 20260219;
  const champion = new ChampionRows();
  for (const sc of scenarios()) {
    const truth =
      sc.metric === 'auc'
        ? `AUC ${auc(sc.challengerMu).toFixed(3)}`
        : `log loss ${expectedLogloss(sc.challengerMu).toFixed(4)}`;
    const r = simulate(sc, seed++, champion);
    for (const rule of ['paired', 'naive'] as const) {
      const t = r[rule];
      console.log(
        `| ${sc.name} | ${sc.metric} | ${truth} | ${rule} | ${pct(t.rollbacks.length)} | ${pct(t.advances.length)} | ${pct(t.none)} | ${median(t.rollbacks)} | ${median(t.advances)} |`,
      );
    }
    const [p, n] = [r.paired, r.naive];
    ratios.push(
      sc.boundary
        ? `| ${sc.name} | ${sc.metric} | false rollback ${pct(p.rollbacks.length)} vs ${pct(n.rollbacks.length)} (${ratio(p.rollbacks.length, n.rollbacks.length)}) | paired: bound missed (rollback + advance) ${pct(p.rollbacks.length + p.advances.length)}, waiting at cap ${pct(p.none)} | naive: advanced at cap ${pct(n.advances.length)} |`
        : sc.worse
          ? `| ${sc.name} | ${sc.metric} | detection ${pct(p.rollbacks.length)} vs ${pct(n.rollbacks.length)} (${ratio(p.rollbacks.length, n.rollbacks.length)}) | median rows to detect ${median(p.rollbacks)} vs ${median(n.rollbacks)} (${ratio(median(p.rollbacks), median(n.rollbacks))}) | wrong advance ${pct(p.advances.length)} vs ${pct(n.advances.length)} |`
          : `| ${sc.name} | ${sc.metric} | false rollback ${pct(p.rollbacks.length)} vs ${pct(n.rollbacks.length)} (${ratio(p.rollbacks.length, n.rollbacks.length)}) | median rows to advance ${median(p.advances)} vs ${median(n.advances)} (${ratio(median(p.advances), median(n.advances))}) | advanced by cap ${pct(p.advances.length)} vs ${pct(n.advances.length)} |`,
    );
  }
  console.log(
    `\nPaired vs naive (ratio = paired ÷ naive, same runs):\n\n| scenario | metric | | | |\n|${' --- |'.repeat(5)}`,
  );
  for (const line of ratios) console.log(line);
  console.log(`\n${selfCheck(champion)}\n${((performance.now() - started) / 1000).toFixed(1)} s`);
}

// PART=drift runs only the drift table (bench/drift-window.ts), PART=canary only the canary ones.
const part = process.env.PART ?? 'all';
if (part !== 'drift') main();
if (part !== 'canary') console.log(`\n${driftBench().join('\n')}`);
