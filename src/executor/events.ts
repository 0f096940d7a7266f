import type { PlanAction } from '../planner/plan-types.ts';

/** What the executor reports while it works; the CLI prints these on stderr, MCP returns them. */
export type ApplyEvent =
  | { type: 'notice'; message: string }
  | { type: 'action-start'; action: PlanAction }
  | { type: 'action-done'; action: PlanAction; message: string }
  | { type: 'action-failed'; action: PlanAction; message: string }
  | { type: 'action-skipped'; action: PlanAction; message: string };
