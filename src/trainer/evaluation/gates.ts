// Promotion gates: a RetrainPolicy's gates decide whether a candidate may become champion,
// comparing both on the same holdout (the champion re-scored with Trainer.evaluate). Pure.
//
// Per gate, with "better" flipped for lower-is-better metrics (vocabulary.lowerIsBetter):
//   min            candidate ≥ min                    (absolute floor; for lower-is-better too)
//   max            candidate ≤ max                    (absolute ceiling)
//   beatChampionBy candidate better than champion by at least this margin (absolute units)
//   maxRegression  candidate worse than champion by at most this tolerance
// Fail closed: when a champion exists but cannot be compared with (its artifact is missing or
// unreachable, it cannot be scored, too few rows remain that neither version trained on), the
// comparative checks FAIL with the reason and the next step, so the candidate stays a candidate.
// They are skipped only when there is no champion yet (the first version), or when the gate
// says so explicitly (`whenChampionUnavailable: skip`).
import type { Gate } from '../../compiler/desired-state.ts';
import { lowerIsBetter } from '../../schema/vocabulary.ts';

export type GateCheckKind = 'min' | 'max' | 'beatChampionBy' | 'maxRegression';

export interface GateCheck {
  metric: string;
  kind: GateCheckKind;
  /** The configured number (floor, ceiling, margin or tolerance). */
  threshold: number;
  candidate: number | null;
  champion: number | null;
  /** candidate − champion, signed so that positive is better; null without a champion. */
  improvement: number | null;
  status: 'passed' | 'failed' | 'skipped';
  reason: string;
  /** Set when the check could not be evaluated because the champion could not be compared with. */
  championUnavailable?: true;
}

export interface GateDecision {
  decision: 'passed' | 'rejected';
  checks: GateCheck[];
  /** One line per failed check, for the plan and the lock. */
  failures: string[];
  /**
   * True when the only failed checks are comparisons that could not be made (the champion could
   * not be compared with): no verdict on the candidate, which should stay a candidate.
   */
  undecided: boolean;
}

export interface GateInput {
  gates: readonly Gate[];
  candidate: Readonly<Record<string, number>>;
  /**
   * The champion's metrics on the comparison rows (rows neither version trained on); undefined
   * when there is no champion, or when it could not be compared (then `championNote` says why).
   */
  champion?: Readonly<Record<string, number>>;
  /**
   * Set only when a champion exists but could not be compared: why (its artifact is missing, it
   * cannot be scored, too few rows neither version trained on). Comparative checks then fail.
   */
  championNote?: string;
  /** What to do about `championNote`, e.g. "run `rudder artifacts pull`". */
  championNextStep?: string;
  /**
   * The candidate's metrics on the same comparison rows as the champion; comparative checks use
   * them (floors and ceilings keep using `candidate`, its own holdout). Default: `candidate`.
   */
  candidateCompared?: Readonly<Record<string, number>>;
  /** How many rows the comparison used, for the reasons. */
  comparedRows?: number;
}

const fmt = (x: number): string =>
  Number.isInteger(x)
    ? String(x)
    : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3
      ? x.toExponential(4)
      : String(Number(x.toPrecision(6)));

export function evaluateGates(input: GateInput): GateDecision {
  const checks = input.gates.flatMap((g) => gateChecks(g, input));
  const failures = checks
    .filter((c) => c.status === 'failed')
    .map((c) => `${c.kind} ${c.metric}: ${c.reason}`);
  const failed = checks.filter((c) => c.status === 'failed');
  return {
    decision: failures.length === 0 ? 'passed' : 'rejected',
    checks,
    failures,
    undecided: failed.length > 0 && failed.every((c) => c.championUnavailable),
  };
}

/** One gate's metric as each side reports it; null where absent or not finite. */
interface GateValues {
  lower: boolean;
  /** On the candidate's own holdout (floors and ceilings). */
  candidate: number | null;
  /** On the comparison rows (comparative checks). */
  compared: number | null;
  champion: number | null;
  improvement: number | null;
}

interface Verdict {
  status: GateCheck['status'];
  reason: string;
  unavailable?: boolean;
}

function gateValues(metric: string, input: GateInput): GateValues {
  const lower = lowerIsBetter.has(metric);
  const finite = (x: number | undefined): number | null =>
    typeof x === 'number' && Number.isFinite(x) ? x : null;
  const candidate = finite(input.candidate[metric]);
  const compared = finite((input.candidateCompared ?? input.candidate)[metric]);
  const champion = finite(input.champion?.[metric]);
  const improvement =
    compared !== null && champion !== null ? (lower ? champion - compared : compared - champion) : null;
  return { lower, candidate, compared, champion, improvement };
}

function gateChecks(g: Gate, input: GateInput): GateCheck[] {
  const v = gateValues(g.metric, input);
  const check = (kind: GateCheckKind, threshold: number, verdict: Verdict): GateCheck => {
    const comparative = kind === 'beatChampionBy' || kind === 'maxRegression';
    return {
      ...(verdict.unavailable ? { championUnavailable: true as const } : {}),
      metric: g.metric,
      kind,
      threshold,
      candidate: comparative ? v.compared : v.candidate,
      champion: v.champion,
      improvement: v.improvement,
      status: verdict.status,
      reason: verdict.reason,
    };
  };
  const checks: GateCheck[] = [];
  if (g.min != null) checks.push(check('min', g.min, boundVerdict(g.metric, v.candidate, 'min', g.min)));
  if (g.max != null) checks.push(check('max', g.max, boundVerdict(g.metric, v.candidate, 'max', g.max)));
  for (const kind of ['beatChampionBy', 'maxRegression'] as const) {
    const threshold = g[kind];
    if (threshold == null) continue;
    checks.push(check(kind, threshold, comparativeVerdict(g, kind, threshold, v, input)));
  }
  return checks;
}

/** An absolute floor (min) or ceiling (max) on the candidate's own holdout. */
function boundVerdict(metric: string, candidate: number | null, kind: 'min' | 'max', bound: number): Verdict {
  if (candidate === null) return { status: 'failed', reason: `the candidate has no ${metric}` };
  const ok = kind === 'min' ? candidate >= bound : candidate <= bound;
  const op = kind === 'min' ? (ok ? '≥' : '<') : ok ? '≤' : '>';
  return {
    status: ok ? 'passed' : 'failed',
    reason: `${metric} ${fmt(candidate)} ${op} ${kind} ${fmt(bound)}`,
  };
}

function comparativeVerdict(
  g: Gate,
  kind: 'beatChampionBy' | 'maxRegression',
  threshold: number,
  v: GateValues,
  input: GateInput,
): Verdict {
  if (v.candidate === null) return { status: 'failed', reason: `the candidate has no ${g.metric}` };
  if (input.champion === undefined && input.championNote == null)
    return { status: 'skipped', reason: 'no champion yet: nothing to compare with' };
  if (input.champion === undefined) {
    const why = `the champion cannot be compared with: ${input.championNote!}`;
    if (g.whenChampionUnavailable === 'skip')
      return { status: 'skipped', reason: `${why} (skipped: the gate says whenChampionUnavailable: skip)` };
    return {
      status: 'failed',
      reason: `${why}; the candidate stays a candidate${input.championNextStep ? `. Next: ${input.championNextStep}` : ''}`,
      unavailable: true,
    };
  }
  const { compared, champion, improvement } = v;
  if (compared === null)
    return { status: 'failed', reason: `the candidate has no ${g.metric} on the comparison rows` };
  if (champion === null || improvement === null)
    return { status: 'failed', reason: `the champion has no ${g.metric} on the comparison rows` };
  const on = input.comparedRows != null ? ` on ${input.comparedRows} rows neither trained on` : '';
  const dir = v.lower ? 'lower' : 'higher';
  if (kind === 'beatChampionBy') {
    const ok = improvement >= threshold - 1e-12;
    return {
      status: ok ? 'passed' : 'failed',
      reason: `${g.metric} ${fmt(compared)} vs champion ${fmt(champion)}${on}: ${improvement >= 0 ? 'better' : 'worse'} by ${fmt(Math.abs(improvement))} (${dir} is better), needs to beat it by ${fmt(threshold)}`,
    };
  }
  const ok = -improvement <= threshold + 1e-12;
  return {
    status: ok ? 'passed' : 'failed',
    reason: `${g.metric} ${fmt(compared)} vs champion ${fmt(champion)}${on}: ${improvement >= 0 ? 'no regression' : `regressed by ${fmt(-improvement)}`} (${dir} is better), tolerance ${fmt(threshold)}`,
  };
}
