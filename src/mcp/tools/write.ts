// Write tools. None runs on its first call: `prepare` computes what it would do (a plan through
// api.ts, restricted to the operation asked for) and the server turns that into a confirmation
// (elicitation or a single-use token, see ../confirm.ts). Applying is always api.apply of
// exactly the plan that was shown, so a world that changed in between is refused as stale.
import { z } from 'zod';
import * as api from '../../api.ts';
import {
  failure,
  fromDiagnostics,
  planWrite,
  writeTool,
  type Annotations,
  type WriteTool,
} from './common.ts';

const modelName = z.string().min(1).max(200).describe('Model name, as in policies/ (metadata.name).');

/** Trains, evaluates, moves traffic: changes the state, and repeating it trains again. */
const MUTATES: Annotations = {
  readOnlyHint: false,
  destructiveHint: false,
  idempotentHint: false,
  openWorldHint: false,
};

/** Replaces what serves (a rollback, an abort): destructive to the current rollout state. */
const REPLACES: Annotations = { ...MUTATES, destructiveHint: true };

const operationTool = (def: {
  name: string;
  title: string;
  description: string;
  annotations: Annotations;
  input: Record<string, z.ZodTypeAny>;
  op: (args: Record<string, unknown>) => api.Operation;
}): WriteTool =>
  writeTool({
    name: def.name,
    title: def.title,
    description: def.description,
    annotations: def.annotations,
    input: def.input,
    async prepare(args, ctx) {
      const r = await api.planOperation({
        cwd: ctx.cwd,
        policiesDir: ctx.policiesDir,
        op: def.op(args),
        now: ctx.now(),
      });
      if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
      const prepared = planWrite(r.value.plan, ctx, { approve: r.value.approve, apply: api.apply });
      return { ok: true, value: prepared, text: prepared.text };
    },
  });

export const applyPlanTool = writeTool({
  name: 'apply_plan',
  title: 'Apply a reviewed plan',
  description:
    'Apply exactly the plan with this digest, as returned by the plan tool in this session. Refused as stale if a policy, a lockfile or the data changed since. Needs confirmation (elicitation or a confirmation token); commits the state with the MCP client as actor.',
  annotations: { ...MUTATES, destructiveHint: true },
  input: {
    digest: z
      .string()
      .regex(/^sha256:[0-9a-f]{64}$/)
      .describe('The plan digest returned by plan.'),
    approve: z
      .array(modelName)
      .max(100)
      .optional()
      .describe('Models whose approval: manual actions this apply may run.'),
    allowDestroy: z
      .boolean()
      .optional()
      .describe('Allow actions that remove state (retiring removed models).'),
  },
  async prepare(args, ctx) {
    const plan = ctx.plans.get(args.digest);
    if (!plan)
      return failure(
        'mcp/unknown-plan',
        `no plan ${args.digest} was computed by this server`,
        'Call plan, show its text to the person, then apply_plan with its digest.',
      );
    const prepared = planWrite(plan, ctx, {
      approve: args.approve,
      allowDestroy: args.allowDestroy,
      apply: api.apply,
    });
    return { ok: true, value: prepared, text: prepared.text };
  },
});

export const retrainTool = operationTool({
  name: 'retrain',
  title: 'Retrain a model',
  description:
    "Plan and (once confirmed) run a forced retrain of one model: materialize what it reads if needed, train a candidate, evaluate it against the gates and the champion on the same holdout, then promote or roll out as the model's policies say.",
  annotations: MUTATES,
  input: { model: modelName },
  op: (a) => ({ kind: 'retrain', model: a.model as string }),
});

export const promoteTool = operationTool({
  name: 'promote',
  title: 'Promote a waiting candidate',
  description:
    "Approve and run the pending promotion (or rollout start) of a model's candidate that waits for manual approval. Gates still apply: a candidate that fails them is rejected, not promoted.",
  annotations: MUTATES,
  input: { model: modelName },
  op: (a) => ({ kind: 'promote', model: a.model as string }),
});

export const rolloutStartTool = operationTool({
  name: 'rollout_start',
  title: 'Start a rollout',
  description:
    "Start the canary or A/B rollout the model's RolloutPolicy prescribes for its waiting candidate (the plan's rollout.start action for this model).",
  annotations: MUTATES,
  input: { model: modelName },
  op: (a) => ({ kind: 'promote', model: a.model as string }),
});

export const refreshFeaturesTool = operationTool({
  name: 'refresh_features',
  title: 'Refresh features',
  description:
    'Materialize stale feature views into the online table (one view, or every view whose source or definition moved on).',
  annotations: { ...MUTATES, idempotentHint: true },
  input: {
    view: z.string().min(1).max(200).optional().describe('One feature view (default: all that need it).'),
  },
  op: (a) => ({ kind: 'refresh-features', view: a.view as string | undefined }),
});

export const scanDataTool = operationTool({
  name: 'scan_data',
  title: 'Scan data for PII',
  description:
    "Run the DataPolicies' PII detectors over their sources and record what they find in the data locks, quarantining rows as the policies say. Findings are counts, never values.",
  annotations: { ...MUTATES, idempotentHint: true },
  input: {
    policy: z.string().min(1).max(200).optional().describe('One DataPolicy (default: all that need a scan).'),
  },
  op: (a) => ({ kind: 'scan-data', policy: a.policy as string | undefined }),
});

export const writeTools: WriteTool[] = [
  applyPlanTool,
  retrainTool,
  promoteTool,
  rolloutStartTool,
  refreshFeaturesTool,
  scanDataTool,
];

export { REPLACES };
