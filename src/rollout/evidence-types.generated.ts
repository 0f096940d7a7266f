// Generated from src/schema/plan.schema.json by `npm run schema:types`. Do not edit: change the schema and regenerate.
// The evidence a rollout analysis records (src/rollout/); the plan types import it from here.

export type Count = number;

/**
 * One conclusive measurement, as the rollout lock records it (src/rollout/observation.ts computes them).
 */
export interface ObservedResult {
  metric: string;
  value: number;
  threshold: number;
  rule: string;
  samples: Count;
  passed: boolean;
  /**
   * ISO bounds of the interval measured.
   */
  from: string;
  to: string;
  paired?: PairedEvidence;
}
/**
 * A canary quality decision on paired evidence: the challenger and the champion's shadow score on the same labelled predictions of the step, judged with an asymptotic confidence sequence (src/rollout/paired.ts, docs/decisions.md).
 */
export interface PairedEvidence {
  decision: "rollback" | "advance" | "wait";
  /**
   * Labelled challenger predictions carrying the champion's shadow score.
   */
  n: Count;
  /**
   * The (1 − alpha) confidence sequence of the excess over maxDegradation (> 0: worse than allowed).
   *
   * @minItems 2
   * @maxItems 2
   */
  bound: number[];
  alpha: number;
  excess: number;
  /**
   * The challenger's metric on the paired rows.
   */
  challenger: number;
  /**
   * The champion's metric on the same rows.
   */
  champion: number;
  maxDegradation: number;
  /**
   * While waiting: labelled predictions likely still needed (null: not estimable).
   */
  moreNeeded?: number | null;
  /**
   * Kept from the decision the rollout lock recorded earlier in this step (not reversed on this pass's evidence).
   */
  recorded?: boolean;
}
