// Shapes shared by every MCP tool: definitions with explicit annotations, results that carry
// both structuredContent and a text rendering, errors with the diagnostic's code, message
// and hint, and the prepared form of a write (what it would do, and how to run it).
import type { RequestHandlerExtra } from '@modelcontextprotocol/sdk/shared/protocol.js';
import type { ServerNotification, ServerRequest } from '@modelcontextprotocol/sdk/types.js';
import { z, type ZodRawShape } from 'zod';
import type {
  ApplyEvent,
  ApplyOptions,
  ApplyRunResult,
  Diagnostic,
  GitHubTarget,
  Plan,
} from '../../api/index.ts';
import { renderPlanText, renderSummaryLine } from '../../api/index.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import type { PreparedWrite } from '../confirm.ts';

/** Every tool sets all four hints: the spec's defaults assume a destructive, open-world tool. */
export interface Annotations {
  readOnlyHint: boolean;
  destructiveHint: boolean;
  idempotentHint: boolean;
  openWorldHint: boolean;
}

/** A read tool: no effect on the repository, the store or anything outside. */
export const READ_ONLY: Annotations = {
  readOnlyHint: true,
  destructiveHint: false,
  idempotentHint: true,
  openWorldHint: false,
};

export interface ToolError {
  code: string;
  message: string;
  hint?: string;
  diagnostics?: DiagnosticOut[];
}

export interface DiagnosticOut {
  code: string;
  severity: string;
  message: string;
  hint?: string;
  file?: string;
}

export type ToolReply<T> = { ok: true; value: T; text: string } | { ok: false; error: ToolError };

export type Extra = RequestHandlerExtra<ServerRequest, ServerNotification>;

/** What every tool call sees. */
export interface ToolContext {
  cwd: string;
  policiesDir?: string;
  now: () => Date;
  /** Plans this server computed, by digest (the plan tool, and every write's preview). */
  plans: PlanCache;
  trainers?: ApplyOptions['trainers'];
  /** Where pull requests are opened, when GitHub is configured. */
  github: () => Promise<GitHubTarget | undefined>;
  extra: Extra;
  /** Sends a progress notification when the client asked for progress (a no-op otherwise). */
  progress: (message: string, total?: number) => Promise<void>;
  log: (message: string) => void;
}

export class PlanCache {
  private readonly plans = new Map<string, Plan>();
  constructor(private readonly max = 64) {}
  put(plan: Plan): void {
    this.plans.delete(plan.digest);
    this.plans.set(plan.digest, plan);
    while (this.plans.size > this.max) this.plans.delete(this.plans.keys().next().value!);
  }
  get(digest: string): Plan | undefined {
    return this.plans.get(digest);
  }
  list(): Plan[] {
    return [...this.plans.values()].reverse();
  }
}

export interface ReadTool {
  kind: 'read';
  name: string;
  title: string;
  description: string;
  input: ZodRawShape;
  output: ZodRawShape;
  annotations: Annotations;
  run(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolReply<Record<string, unknown>>>;
}

/** How a confirmed write runs, and what it reports. */
export interface RunContext {
  actor: `mcp:${string}`;
  approvedBy: 'elicitation' | 'token';
  signal: AbortSignal;
  onEvent: (e: ApplyEvent) => void;
}

export type WriteRun =
  | {
      ok: true;
      /** Some action failed (the ones that finished are committed). */
      failed?: boolean;
      summary: string;
      commit?: { sha?: string; message: string };
      outcomes: { id: string; status: string; message: string }[];
      /** Tool-specific fields (a branch, a pull request, …). */
      details?: Record<string, unknown>;
    }
  | { ok: false; error: ToolError; stale?: boolean };

export interface Prepared extends PreparedWrite {
  /** The plan, when the write is a plan (every write but a quarantine release or a policy proposal). */
  plan?: Plan;
  actions: ActionBrief[];
  /** Nothing to do: returned as such, without asking anyone. */
  empty: boolean;
  run(rc: RunContext): Promise<WriteRun>;
}

export interface WriteTool {
  kind: 'write';
  name: string;
  title: string;
  description: string;
  input: ZodRawShape;
  annotations: Annotations;
  prepare(args: Record<string, unknown>, ctx: ToolContext): Promise<ToolReply<Prepared>>;
}

export type AnyTool = ReadTool | WriteTool;

/** Typed definition of a read tool; the registry only needs the erased form. */
export function readTool<I extends ZodRawShape, O extends ZodRawShape>(def: {
  name: string;
  title: string;
  description: string;
  input: I;
  output: O;
  annotations?: Annotations;
  run(
    args: z.infer<z.ZodObject<I>>,
    ctx: ToolContext,
  ): Promise<ToolReply<z.input<z.ZodObject<O>> & Record<string, unknown>>>;
}): ReadTool {
  return {
    kind: 'read',
    annotations: READ_ONLY,
    ...def,
    run: (args, ctx) => def.run(args as z.infer<z.ZodObject<I>>, ctx),
  };
}

export function writeTool<I extends ZodRawShape>(def: {
  name: string;
  title: string;
  description: string;
  input: I;
  annotations: Annotations;
  prepare(args: z.infer<z.ZodObject<I>>, ctx: ToolContext): Promise<ToolReply<Prepared>>;
}): WriteTool {
  return {
    kind: 'write',
    ...def,
    prepare: (args, ctx) => def.prepare(args as z.infer<z.ZodObject<I>>, ctx),
  };
}

export const failure = (code: string, message: string, hint?: string): { ok: false; error: ToolError } => ({
  ok: false,
  error: { code, message, hint },
});

export function diagnosticsOut(diags: readonly Diagnostic[]): DiagnosticOut[] {
  return diags.map((d) => ({
    code: d.code,
    severity: d.severity,
    message: d.message,
    ...(d.hint != null ? { hint: d.hint } : {}),
    ...(d.file != null ? { file: d.file } : {}),
  }));
}

/** An API failure as a tool error: the first error's code, message and hint, and every diagnostic. */
export function fromDiagnostics(
  diags: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  fallback = 'the operation failed',
): { ok: false; error: ToolError } {
  const first = diags.find((d) => d.severity === 'error') ?? diags[0];
  return {
    ok: false,
    error: {
      code: first?.code ?? 'mcp/failed',
      message: first ? formatPretty(diags, sources, { color: false }).trim() : fallback,
      hint: first?.hint,
      diagnostics: diagnosticsOut(diags),
    },
  };
}

export const diagnosticSchema = z.object({
  code: z.string(),
  severity: z.string(),
  message: z.string(),
  hint: z.string().optional(),
  file: z.string().optional(),
});

export interface ActionBrief {
  id: string;
  type: string;
  op: string;
  resource: string;
  reasons: string[];
  risk: string;
  requiresApproval: boolean;
  destructive: boolean;
  dependsOn: string[];
}

export const actionBriefSchema = z.object({
  id: z.string(),
  type: z.string(),
  op: z.string(),
  resource: z.string(),
  reasons: z.array(z.string()),
  risk: z.string(),
  requiresApproval: z.boolean(),
  destructive: z.boolean(),
  dependsOn: z.array(z.string()),
});

export function briefActions(plan: Plan): ActionBrief[] {
  return plan.actions.map((a) => ({
    id: a.id,
    type: a.type,
    op: a.op,
    resource: `${a.resource.kind}/${a.resource.name}`,
    reasons: a.reasons.map((r) => `${r.code}: ${r.message}`),
    risk: a.risk,
    requiresApproval: a.requiresApproval,
    destructive: a.destructive,
    dependsOn: a.dependsOn,
  }));
}

export const planText = (plan: Plan): string => renderPlanText(plan, { color: false }).trimEnd();

export const planSchema = {
  digest: z.string(),
  summary: z.string(),
  text: z.string(),
  actions: z.array(actionBriefSchema),
  notes: z.array(z.string()),
};

export function planOut(plan: Plan): {
  digest: string;
  summary: string;
  text: string;
  actions: ActionBrief[];
  notes: string[];
} {
  return {
    digest: plan.digest,
    summary: renderSummaryLine(plan),
    text: planText(plan),
    actions: briefActions(plan),
    notes: plan.notes,
  };
}

/** Every write tool's output: what it would do, asked, or did. */
export const writeOutputSchema = {
  status: z.enum(['requires_confirmation', 'applied', 'declined', 'nothing_to_do', 'failed']),
  tool: z.string(),
  summary: z.string(),
  preview: z.object({ digest: z.string(), text: z.string(), actions: z.array(actionBriefSchema) }),
  confirmation: z.object({ token: z.string(), expiresAt: z.string(), instructions: z.string() }).optional(),
  approvedBy: z.enum(['elicitation', 'token']).optional(),
  commit: z.object({ sha: z.string().optional(), message: z.string() }).optional(),
  outcomes: z.array(z.object({ id: z.string(), status: z.string(), message: z.string() })).optional(),
  details: z.record(z.unknown()).optional(),
};

/** The argument every write tool takes for the second call. Never an agent's own say-so. */
export const confirmationTokenArg = z
  .string()
  .max(512)
  .optional()
  .describe(
    "The token from this tool's requires_confirmation result, after the person approved the plan shown. Omit it on the first call.",
  );

/** A plan-backed write: applying exactly `plan` through api.apply. */
export function planWrite(
  plan: Plan,
  ctx: ToolContext,
  opts: {
    approve?: readonly string[];
    allowDestroy?: boolean;
    apply: (o: ApplyOptions) => Promise<ApplyRunResult>;
  },
): Prepared {
  ctx.plans.put(plan);
  return {
    digest: plan.digest,
    text: planText(plan),
    plan,
    actions: briefActions(plan),
    empty: plan.actions.length === 0,
    async run(rc) {
      const r = await opts.apply({
        cwd: ctx.cwd,
        policiesDir: ctx.policiesDir,
        plan,
        approve: opts.approve ? [...opts.approve] : [],
        allowDestroy: opts.allowDestroy,
        actor: rc.actor,
        approvedBy: rc.approvedBy,
        now: ctx.now,
        signal: rc.signal,
        onEvent: rc.onEvent,
        trainers: ctx.trainers,
      });
      if (!r.ok && r.outcomes.length === 0) {
        const f = fromDiagnostics(r.diagnostics, r.sources, r.summary);
        return { ...f, stale: r.diagnostics.some((d) => d.code === 'plan/stale') };
      }
      return {
        ok: true,
        failed: !r.ok,
        summary: r.cancelled ? 'Cancelled before anything ran; nothing changed.' : r.summary,
        commit: r.commit,
        outcomes: r.outcomes.map((o) => ({ id: o.id, status: o.status, message: o.message })),
      };
    },
  };
}
