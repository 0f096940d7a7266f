// The plan file's vocabulary. Its one definition is the JSON Schema src/schema/plan.schema.json:
// plan-file.ts checks every plan file read against it, and `npm run schema:types` generates
// plan-types.generated.ts from it. This module re-exports those types and derives the per-type
// maps and the generic `ActionOf<T>` from them; it describes no shape of its own.
import type * as G from './plan-types.generated.ts';

export { PLAN_FORMAT_VERSION, actionTypes } from './plan-types.generated.ts';
export type {
  ActionType,
  BlockedResource,
  ExpectedChange,
  ObservedResult,
  Op,
  PlanInputs,
  PromoteReasonCode,
  ResourceKind,
  Risk,
  TrainReasonCode,
} from './plan-types.generated.ts';

type ActionType = G.ActionType;

/** The schema's variant for action type T. */
type Variant<T extends ActionType> = Extract<G.AnyAction, { type: T }>;

/**
 * What each action type carries, fixed at plan time (the digests the executor must still find):
 * its `<Type>Params` in the plan schema. Adding an action type starts in the schema
 * (docs/architecture.md, "How to add an action").
 */
export type ActionParams = { [T in ActionType]: Plain<Variant<T>['params']> };

/** An interface as a plain object type (which, unlike an interface, fits `Record<string, unknown>`). */
type Plain<T> = { [K in keyof T]: T[K] };

/** The reason codes each action type can give (stable keys; the messages carry the evidence). */
export type ActionReasonCodes = { [T in ActionType]: Variant<T>['reasons'][number]['code'] };

/** The kind of resource each action type acts on. */
export type ActionResourceKinds = { [T in ActionType]: Variant<T>['resource']['kind'] };

/** Why an action is planned, with its type's reason codes (`Reason<TrainReasonCode>`). */
export interface Reason<C extends string = string> extends Omit<G.Reason, 'code'> {
  code: C;
}

/** The resource an action acts on, with its type's kind. */
export interface ActionResource<K extends string = string> extends Omit<G.AnyAction['resource'], 'kind'> {
  kind: K;
}

/**
 * One action of type T, with that type's params and reasons. Generic in T (not an `Extract` of
 * the union) so that code generic in the action type (the executor's handler table) type-checks.
 */
export interface ActionOf<T extends ActionType> extends G.ActionEnvelope {
  type: T;
  resource: ActionResource<ActionResourceKinds[T]>;
  reasons: Reason<ActionReasonCodes[T]>[];
  /** What the executor needs, fixed at plan time. */
  params: ActionParams[T];
}

/** Any action: a union discriminated by `type` (narrow with `a.type === 'model.train'`). */
export type PlanAction<K extends ActionType = ActionType> = { [T in K]: ActionOf<T> }[K];

/** A plan, as `rudder plan` makes it and `--out` writes it. */
export interface Plan extends Omit<G.Plan, 'actions'> {
  actions: PlanAction[];
}

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
type Assert<T extends true> = T;
/**
 * Compile-time checks (no run-time value): the derived forms above describe exactly the values the
 * schema's types do. (The rollout analysis takes ObservedResult from the generated types itself.)
 */
export type PlanTypesMatchSchema = [Assert<Same<PlanAction, G.AnyAction>>, Assert<Same<Plan, G.Plan>>];

/** The model an action is about, when it is about one (approval is granted per model). */
export function modelOfAction(a: PlanAction): string | undefined {
  switch (a.type) {
    case 'model.train':
    case 'model.promote':
    case 'rollout.start':
    case 'model.retire':
    case 'rollout.advance':
    case 'rollout.promote':
    case 'rollout.rollback':
      return a.params.model;
    case 'feature.materialize':
    case 'data.scan':
      return undefined;
  }
}
