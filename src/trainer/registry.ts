// The trainer registry: one entry per `trainer.type`, each with the Trainer that trains and
// scores that type's artifacts and the ModelRuntime that loads and predicts with them (serving,
// rollout analysis, prediction-score drift).
import type { Model } from '../compiler/desired-state.ts';
import type { ModelRuntime } from './runtime.ts';
import type { Trainer } from './trainer.ts';

export type TrainerType = Model['trainer']['type'];

export interface TrainerEntry {
  trainer: Trainer;
  /** Load + predict for this type's artifacts (serving, rollout analysis, drift re-scoring). */
  runtime: ModelRuntime;
}

/** Exhaustive: a trainer type without an entry does not build. */
export type TrainerRegistry = { readonly [T in TrainerType]: TrainerEntry };

/** The registry with some entries' trainers (or runtimes) replaced: tests, other engines. */
export function withTrainers(
  base: TrainerRegistry,
  overrides: Partial<Record<TrainerType, Trainer | TrainerEntry>> = {},
): TrainerRegistry {
  const entry = (t: TrainerType): TrainerEntry => {
    const o = overrides[t];
    if (o == null) return base[t];
    return 'trainer' in o ? o : { ...base[t], trainer: o };
  };
  return { tfjs: entry('tfjs'), command: entry('command') };
}
