// The handler registry: one handler per action type. The `satisfies` below makes it exhaustive:
// an action type without a handler does not build.
import type { ActionType } from '../../planner/plan-types.ts';
import type { ActionHandler } from '../handler.ts';
import { dataScanHandler } from './data-scan.ts';
import { materializeHandler } from './feature-materialize.ts';
import { promoteHandler } from './model-promote.ts';
import { retireHandler } from './model-retire.ts';
import { trainHandler } from './model-train.ts';
import { rolloutAdvanceHandler, rolloutPromoteHandler, rolloutRollbackHandler } from './rollout-steps.ts';
import { rolloutStartHandler } from './rollout-start.ts';

const registry = {
  'feature.materialize': materializeHandler,
  'data.scan': dataScanHandler,
  'model.train': trainHandler,
  'model.promote': promoteHandler,
  'rollout.start': rolloutStartHandler,
  'model.retire': retireHandler,
  'rollout.advance': rolloutAdvanceHandler,
  'rollout.promote': rolloutPromoteHandler,
  'rollout.rollback': rolloutRollbackHandler,
} satisfies { [T in ActionType]: ActionHandler<T, unknown> };

/** The outcome type of each action type, as its handler declares it. */
export type OutcomeOf<T extends ActionType> =
  (typeof registry)[T] extends ActionHandler<T, infer O> ? O : never;

export type HandlerTable = { [T in ActionType]: ActionHandler<T, OutcomeOf<T>> };

export const handlers: HandlerTable = registry;

export type { MaterializeOutcome } from './feature-materialize.ts';
export type { DataScanOutcome } from './data-scan.ts';
export type { TrainOutcome } from './model-train.ts';
export type { PromoteOutcome } from './gate-candidate.ts';
export type { RetireOutcome } from './model-retire.ts';
