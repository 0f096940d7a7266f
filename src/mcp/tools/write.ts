// Write tools. None runs on its first call: `prepare` computes what it would do (a plan through
// api.ts, restricted to the operation asked for) and the server turns that into a confirmation
// (elicitation or a single-use token, see ../confirm.ts). Applying is always api.apply of
// exactly the plan that was shown, so a world that changed in between is refused as stale.
import { z } from 'zod';
import * as api from '../../api/index.ts';
import { digestOf } from '../../util/canonical.ts';
import { nodeSha256 } from '../../util/node-hash.ts';
import {
  failure,
  fromDiagnostics,
  planText,
  planWrite,
  writeTool,
  type Annotations,
  type Prepared,
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
  prepare(args, ctx) {
    const plan = ctx.plans.get(args.digest);
    if (!plan)
      return Promise.resolve(
        failure(
          'mcp/unknown-plan',
          `no plan ${args.digest} was computed by this server`,
          'Call plan, show its text to the person, then apply_plan with its digest.',
        ),
      );
    const prepared = planWrite(plan, ctx, {
      approve: args.approve,
      allowDestroy: args.allowDestroy,
      apply: api.apply,
    });
    return Promise.resolve({ ok: true, value: prepared, text: prepared.text });
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

export const rolloutAdvanceTool = operationTool({
  name: 'rollout_advance',
  title: 'Advance a rollout',
  description:
    "Move a progressing canary to its next traffic step, or promote it after the last step (or an A/B winner) — only what the rollout's analysis allows: the plan's rollout.advance / rollout.promote action for this model.",
  annotations: MUTATES,
  input: { model: modelName },
  op: (a) => ({ kind: 'rollout-advance', model: a.model as string }),
});

export const rollbackTool = operationTool({
  name: 'rollback',
  title: 'Roll back a rollout',
  description:
    "Roll back a rollout whose analysis failed (or an A/B loser): the candidate's traffic goes to 0 and, as the policy says, the version is held — the plan's rollout.rollback action for this model.",
  annotations: REPLACES,
  input: { model: modelName },
  op: (a) => ({ kind: 'rollout-rollback', model: a.model as string }),
});

export const rolloutAbortTool = operationTool({
  name: 'rollout_abort',
  title: 'Abort a rollout',
  description:
    "Abort a model's progressing rollout now, whatever its analysis says: all traffic back to the champion, the candidate held (or rejected) as the RolloutPolicy's rollback says.",
  annotations: REPLACES,
  input: { model: modelName },
  op: (a) => ({ kind: 'rollout-abort', model: a.model as string }),
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

export const releaseQuarantineTool = writeTool({
  name: 'release_quarantine',
  title: 'Release a quarantine',
  description:
    "Let a quarantine's rows back into training and the online table, with the reason recorded in the data lock and the commit. Refused as stale if the data lock changed since the preview.",
  annotations: { ...MUTATES, idempotentHint: true },
  input: {
    id: z
      .string()
      .regex(/^q-[0-9a-f]{6,64}$/)
      .describe('Quarantine id (q-…), from list_quarantines.'),
    reason: z
      .string()
      .min(3)
      .max(500)
      .describe(
        'Why these rows may be used after all (from the person; recorded in the lock and the commit).',
      ),
  },
  async prepare(args, ctx) {
    const p = await api.previewRelease({ cwd: ctx.cwd, policiesDir: ctx.policiesDir, id: args.id });
    if (!p.ok) return fromDiagnostics(p.diagnostics, p.sources);
    const q = p.value.quarantine;
    const text = p.value.alreadyReleased
      ? `Quarantine ${q.id} is already released (${q.released?.at}: ${q.released?.reason}).`
      : [
          `~ data.release ${q.id} (DataPolicy ${p.value.policy})`,
          `    ${q.rows} rows of ${q.view}${q.column ? `.${q.column}` : ''} matched ${q.detector}; quarantined ${q.at}`,
          `    reason: ${args.reason}`,
          `    the rows are read again by training and materialization; state/data/${p.value.policy}.lock.yaml records the release`,
        ].join('\n');
    const digest = digestOf({ release: q.id, reason: args.reason, lock: p.value.lockDigest }, nodeSha256);
    const prepared: Prepared = {
      digest,
      text,
      actions: p.value.alreadyReleased
        ? []
        : [
            {
              id: `data.release:${q.id}`,
              type: 'data.release',
              op: 'update',
              resource: `DataPolicy/${p.value.policy}`,
              reasons: [`requested: ${args.reason}`],
              risk: 'medium',
              requiresApproval: true,
              destructive: false,
              dependsOn: [],
            },
          ],
      empty: p.value.alreadyReleased,
      async run(rc) {
        const again = await api.previewRelease({ cwd: ctx.cwd, policiesDir: ctx.policiesDir, id: args.id });
        if (!again.ok) return fromDiagnostics(again.diagnostics, again.sources);
        if (again.value.lockDigest !== p.value.lockDigest)
          return {
            ...failure(
              'plan/stale',
              `the data lock of ${p.value.policy} changed since the preview (${p.value.lockDigest.slice(7, 19)} → ${again.value.lockDigest.slice(7, 19)})`,
              'Call release_quarantine again for a fresh preview.',
            ),
            stale: true,
          };
        const r = await api.dataRelease({
          cwd: ctx.cwd,
          id: args.id,
          reason: args.reason,
          actor: rc.actor,
          approvedBy: rc.approvedBy,
          now: ctx.now,
        });
        if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
        return {
          ok: true,
          summary: r.changed ? `Released ${args.id}.` : `${args.id} was already released.`,
          commit: r.commit,
          outcomes: [
            { id: `data.release:${args.id}`, status: r.changed ? 'done' : 'skipped', message: args.reason },
          ],
        };
      },
    };
    return { ok: true, value: prepared, text };
  },
});

const policyFile = z.object({
  path: z
    .string()
    .min(1)
    .max(300)
    .describe(
      'Repository-relative: rudder.yaml or a .yaml file under the policy folder (policies/models/churn.yaml).',
    ),
  content: z.string().max(1_000_000).nullable().describe('The whole new file; null deletes it.'),
});

export const proposePolicyChangeTool = writeTool({
  name: 'propose_policy_change',
  title: 'Propose a policy change',
  description:
    "Validate a change to the policies and plan it (in a scratch worktree, against the same state and data), then — once confirmed — commit it on a new branch without touching the checkout. With evaluate, apply the branch's plan on the branch (train the variant) and compare it with the champion. Opens a draft pull request when GitHub is configured (and, when evaluated, only if the variant passed its gates); otherwise the branch stays local.",
  annotations: { readOnlyHint: false, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  input: {
    files: z.array(policyFile).min(1).max(20),
    title: z.string().min(3).max(200).describe('Commit subject and pull-request title.'),
    body: z.string().max(20_000).optional().describe('Why: the commit body and the top of the pull request.'),
    branch: z.string().max(200).optional().describe('Branch name (default rudder/mcp/<title>-<hash>).'),
    evaluate: z
      .boolean()
      .optional()
      .describe('Train the variant on the branch and compare it with the champion.'),
  },
  async prepare(args, ctx) {
    const files = Object.fromEntries(args.files.map((f) => [f.path, f.content]));
    const req = {
      cwd: ctx.cwd,
      policiesDir: ctx.policiesDir,
      files,
      title: args.title,
      body: args.body,
      branch: args.branch,
      now: ctx.now(),
    };
    const p = await api.previewPolicyChange(req);
    if (!p.ok) return fromDiagnostics(p.diagnostics, p.sources);
    const pv = p.value;
    ctx.plans.put(pv.plan);
    const github = await ctx.github();
    const text = [
      `+ branch ${pv.branch} from ${pv.base.slice(0, 10)}: ${args.title}`,
      ...pv.files.map((f) => f.diff.trimEnd()),
      '',
      `Plan of the branch (${pv.plan.digest.slice(0, 19)}):`,
      planText(pv.plan),
      '',
      args.evaluate
        ? "Then: apply the branch's plan on the branch (training the variant) and compare it with the champion."
        : '',
      github
        ? `Then: push the branch and open a draft pull request on ${github.owner}/${github.repo}${args.evaluate ? ' if the variant passes its gates' : ''}.`
        : 'GitHub is not configured: the branch stays local.',
    ]
      .filter((l, i, a) => l !== '' || a[i - 1] !== '')
      .join('\n');
    const prepared: Prepared = {
      digest: pv.digest,
      text,
      actions: [
        {
          id: `policy.propose:${pv.branch}`,
          type: 'policy.propose',
          op: 'create',
          resource: `Branch/${pv.branch}`,
          reasons: pv.files.map((f) => `${f.change}: ${f.path}`),
          risk: args.evaluate ? 'medium' : 'low',
          requiresApproval: true,
          destructive: false,
          dependsOn: [],
        },
      ],
      empty: false,
      async run(rc) {
        const r = await api.proposePolicyChange({
          ...req,
          preview: pv,
          actor: rc.actor,
          approvedBy: rc.approvedBy,
          evaluate: args.evaluate,
          github,
          trainers: ctx.trainers,
          clock: ctx.now,
          signal: rc.signal,
          onEvent: rc.onEvent,
        });
        if (!r.ok)
          return {
            ...fromDiagnostics(r.diagnostics, r.sources),
            stale: r.diagnostics[0]?.code === 'plan/stale',
          };
        const v = r.value;
        const lines = [
          `Committed ${v.commit.slice(0, 10)} on ${v.branch}.`,
          v.evaluation
            ? `Evaluation: ${v.evaluation.summary} ${v.evaluation.better ? 'The variant passed its gates.' : 'The variant did not pass its gates.'}`
            : '',
          v.pullRequest
            ? `Pull request #${v.pullRequest.number}: ${v.pullRequest.url}`
            : (v.noPullRequest ?? ''),
        ].filter(Boolean);
        return {
          ok: true,
          summary: lines.join(' '),
          commit: { sha: v.head, message: args.title },
          outcomes: [{ id: `policy.propose:${v.branch}`, status: 'done', message: lines.join(' ') }],
          details: { ...v },
        };
      },
    };
    return { ok: true, value: prepared, text };
  },
});

export const writeTools: WriteTool[] = [
  applyPlanTool,
  retrainTool,
  promoteTool,
  rolloutStartTool,
  rolloutAdvanceTool,
  rollbackTool,
  rolloutAbortTool,
  refreshFeaturesTool,
  scanDataTool,
  releaseQuarantineTool,
  proposePolicyChangeTool,
];
