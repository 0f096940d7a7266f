// Promotion gates: a RetrainPolicy's gates decide whether a candidate may become champion,
// comparing both on the same holdout (the champion re-scored with Trainer.evaluate). Pure.
//
// Per gate, with "better" flipped for lower-is-better metrics (vocabulary.lowerIsBetter):
//   min            candidate ≥ min                    (absolute floor; for lower-is-better too)
//   max            candidate ≤ max                    (absolute ceiling)
//   beatChampionBy candidate better than champion by at least this margin (absolute units)
//   maxRegression  candidate worse than champion by at most this tolerance
// Without a champion (first version, or champion not scorable) the comparative checks are
// skipped and reported as such.
import type { Gate } from '../compiler/desired-state.ts';
import { lowerIsBetter } from '../schema/vocabulary.ts';

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
}

export interface GateDecision {
  decision: 'passed' | 'rejected';
  checks: GateCheck[];
  /** One line per failed check, for the plan and the lock. */
  failures: string[];
}

export interface GateInput {
  gates: readonly Gate[];
  candidate: Readonly<Record<string, number>>;
  /** The champion's metrics on the candidate's holdout; undefined when there is no champion. */
  champion?: Readonly<Record<string, number>>;
  /** Why the champion has no metrics (e.g. its features no longer exist), for the report. */
  championNote?: string;
}

const fmt = (x: number): string =>
  Number.isInteger(x)
    ? String(x)
    : Math.abs(x) >= 1e4 || Math.abs(x) < 1e-3
      ? x.toExponential(4)
      : String(Number(x.toPrecision(6)));

export function evaluateGates(input: GateInput): GateDecision {
  const checks: GateCheck[] = [];
  for (const g of input.gates) {
    const lower = lowerIsBetter.has(g.metric);
    const cand = input.candidate[g.metric];
    const champ = input.champion?.[g.metric];
    const candidate = typeof cand === 'number' && Number.isFinite(cand) ? cand : null;
    const champion = typeof champ === 'number' && Number.isFinite(champ) ? champ : null;
    const improvement =
      candidate !== null && champion !== null ? (lower ? champion - candidate : candidate - champion) : null;
    const add = (kind: GateCheckKind, threshold: number, status: GateCheck['status'], reason: string): void =>
      void checks.push({
        metric: g.metric,
        kind,
        threshold,
        candidate,
        champion,
        improvement,
        status,
        reason,
      });
    const missing = `the candidate has no ${g.metric}`;
    if (g.min != null) {
      if (candidate === null) add('min', g.min, 'failed', missing);
      else
        add(
          'min',
          g.min,
          candidate >= g.min ? 'passed' : 'failed',
          `${g.metric} ${fmt(candidate)} ${candidate >= g.min ? '≥' : '<'} min ${fmt(g.min)}`,
        );
    }
    if (g.max != null) {
      if (candidate === null) add('max', g.max, 'failed', missing);
      else
        add(
          'max',
          g.max,
          candidate <= g.max ? 'passed' : 'failed',
          `${g.metric} ${fmt(candidate)} ${candidate <= g.max ? '≤' : '>'} max ${fmt(g.max)}`,
        );
    }
    for (const kind of ['beatChampionBy', 'maxRegression'] as const) {
      const threshold = g[kind];
      if (threshold == null) continue;
      if (candidate === null) {
        add(kind, threshold, 'failed', missing);
        continue;
      }
      if (input.champion === undefined) {
        add(
          kind,
          threshold,
          'skipped',
          `no champion to compare with${input.championNote ? ` (${input.championNote})` : ''}`,
        );
        continue;
      }
      if (champion === null || improvement === null) {
        add(kind, threshold, 'failed', `the champion has no ${g.metric} on this holdout`);
        continue;
      }
      const dir = lower ? 'lower' : 'higher';
      if (kind === 'beatChampionBy') {
        const ok = improvement >= threshold - 1e-12;
        add(
          kind,
          threshold,
          ok ? 'passed' : 'failed',
          `${g.metric} ${fmt(candidate)} vs champion ${fmt(champion)}: ${improvement >= 0 ? 'better' : 'worse'} by ${fmt(Math.abs(improvement))} (${dir} is better), needs to beat it by ${fmt(threshold)}`,
        );
      } else {
        const ok = -improvement <= threshold + 1e-12;
        add(
          kind,
          threshold,
          ok ? 'passed' : 'failed',
          `${g.metric} ${fmt(candidate)} vs champion ${fmt(champion)}: ${improvement >= 0 ? 'no regression' : `regressed by ${fmt(-improvement)}`} (${dir} is better), tolerance ${fmt(threshold)}`,
        );
      }
    }
  }
  const failures = checks
    .filter((c) => c.status === 'failed')
    .map((c) => `${c.kind} ${c.metric}: ${c.reason}`);
  return { decision: failures.length === 0 ? 'passed' : 'rejected', checks, failures };
}
