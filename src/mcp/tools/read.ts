// Read tools: each maps to one api.ts call and changes nothing (readOnlyHint: true).
import { z } from 'zod';
import * as api from '../../api/index.ts';
import {
  actionBriefSchema,
  briefActions,
  diagnosticSchema,
  diagnosticsOut,
  failure,
  fromDiagnostics,
  planOut,
  planSchema,
  readTool,
  type ReadTool,
} from './common.ts';

const modelName = z.string().min(1).max(200).describe('Model name, as in policies/ (metadata.name).');

export const statusTool = readTool({
  name: 'status',
  title: 'Rudder status',
  description:
    "Every resource's current state from the lockfiles in state/: models (champion version), feature views (materialized), rollouts, data policies (quarantines); the apply lock and uncommitted state files.",
  input: {},
  output: {
    project: z.string(),
    policies: z.string(),
    resources: z.array(
      z.object({
        kind: z.string(),
        name: z.string(),
        state: z.string(),
        detail: z.string(),
        updated: z.string().optional(),
        file: z.string(),
      }),
    ),
    applyLock: z.object({ owner: z.string(), operation: z.string(), stale: z.boolean() }).nullable(),
    uncommitted: z.array(z.string()),
    diagnostics: z.array(diagnosticSchema),
  },
  async run(_args, ctx) {
    const r = await api.status({ cwd: ctx.cwd });
    const value = {
      project: r.project,
      policies: r.policies,
      resources: r.resources.map((x) => ({
        kind: x.kind,
        name: x.name,
        state: x.state,
        detail: x.detail,
        ...(x.updated ? { updated: x.updated } : {}),
        file: x.file,
      })),
      applyLock: r.applyLock
        ? { owner: r.applyLock.owner, operation: r.applyLock.operation, stale: r.applyLock.stale }
        : null,
      uncommitted: r.git.uncommitted,
      diagnostics: diagnosticsOut(r.diagnostics),
    };
    const text = [
      `Project ${r.project} (policies ${r.policies})`,
      ...r.resources.map((x) => `  ${x.kind.padEnd(8)} ${x.name.padEnd(24)} ${x.state} — ${x.detail}`),
      r.applyLock ? `Apply lock held by ${r.applyLock.owner} (${r.applyLock.operation})` : '',
      r.git.uncommitted.length ? `Uncommitted state files: ${r.git.uncommitted.join(', ')}` : '',
    ]
      .filter(Boolean)
      .join('\n');
    return { ok: true, value, text };
  },
});

export const validateTool = readTool({
  name: 'validate',
  title: 'Validate policies',
  description:
    'Load, schema-check and compile the policies; every diagnostic with its code, file and hint. Changes nothing.',
  input: {},
  output: {
    ok: z.boolean(),
    documents: z.number(),
    files: z.number(),
    diagnostics: z.array(diagnosticSchema),
  },
  async run(_args, ctx) {
    const r = await api.validate({ cwd: ctx.cwd, policiesDir: ctx.policiesDir });
    const { formatPretty } = await import('../../diagnostics/format-pretty.ts');
    return {
      ok: true,
      value: { ok: r.ok, documents: r.documents, files: r.files, diagnostics: diagnosticsOut(r.diagnostics) },
      text:
        (r.diagnostics.length ? `${formatPretty(r.diagnostics, r.sources, { color: false }).trim()}\n` : '') +
        `${r.ok ? 'Valid' : 'Invalid'}: ${r.documents} document(s) in ${r.files} file(s).`,
    };
  },
});

export const planTool = readTool({
  name: 'plan',
  title: 'Plan',
  description:
    'Compile the policies, read the lockfiles, observe the data and compute the plan: what apply would do and why. Returns its digest (apply_plan takes it), the rendered text and the structured actions. Changes nothing.',
  input: {
    retrain: z.array(modelName).max(100).optional().describe('Force retraining of these models.'),
  },
  output: { ...planSchema, inputsDigest: z.string() },
  async run(args, ctx) {
    const r = await api.plan({
      cwd: ctx.cwd,
      policiesDir: ctx.policiesDir,
      retrain: args.retrain,
      now: ctx.now(),
    });
    if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
    ctx.plans.put(r.plan);
    const out = planOut(r.plan);
    return {
      ok: true,
      value: { ...out, inputsDigest: r.plan.inputsDigest },
      text: `${out.text}\n\nPlan digest: ${r.plan.digest} (resource rudder://plan/${r.plan.digest})`,
    };
  },
});

export const explainActionTool = readTool({
  name: 'explain_action',
  title: 'Explain a plan action',
  description:
    'Why a plan action is there: its reasons with their evidence, the wave it runs in, what it runs after and what waits for it, the lockfile changes it is expected to make, and the observations behind it. Takes a plan digest from `plan` (default: plan now).',
  input: {
    action: z
      .string()
      .min(1)
      .max(300)
      .describe('Action id (model.train:churn@…) or a prefix such as model.train:churn.'),
    digest: z.string().max(80).optional().describe('Digest of a plan returned by the plan tool.'),
  },
  output: {
    digest: z.string(),
    action: actionBriefSchema,
    wave: z.number(),
    after: z.array(z.string()),
    before: z.array(z.string()),
    changes: z.array(
      z.object({ path: z.string(), field: z.string(), from: z.string().optional(), to: z.string() }),
    ),
    params: z.record(z.unknown()),
    observations: z.record(z.unknown()),
  },
  async run(args, ctx) {
    const cached = args.digest ? ctx.plans.get(args.digest) : undefined;
    if (args.digest && !cached)
      return failure(
        'mcp/unknown-plan',
        `no plan ${args.digest} was computed by this server`,
        'Call plan first and pass its digest, or omit digest to plan now.',
      );
    const r = await api.explain({
      cwd: ctx.cwd,
      policiesDir: ctx.policiesDir,
      action: args.action,
      plan: cached,
      now: ctx.now(),
    });
    if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
    ctx.plans.put(r.plan);
    if (!r.result.ok)
      return failure(
        'mcp/unknown-action',
        r.result.message,
        r.result.candidates.length ? `Actions: ${r.result.candidates.join(', ')}` : undefined,
      );
    const e = r.result.explanation;
    const a = e.action;
    return {
      ok: true,
      value: {
        digest: r.plan.digest,
        action: briefActions({ ...r.plan, actions: [a] })[0]!,
        wave: e.wave,
        after: e.after.map((x) => x.id),
        before: e.before.map((x) => x.id),
        changes: a.changes,
        params: a.params,
        observations: { views: e.observations.views, models: e.observations.models },
      },
      text: e.lines.join('\n'),
    };
  },
});

export const historyTool = readTool({
  name: 'history',
  title: 'Resource history',
  description:
    "A resource's state changes from git, newest first: when, which plan and actions, which actor (cli, ci, reconcile, mcp:<client>), and why.",
  input: {
    resource: z
      .string()
      .min(1)
      .max(300)
      .describe('A name (churn), kind/name (model/churn, feature/customer_activity) or a lockfile path.'),
    limit: z.number().int().min(1).max(500).optional().describe('At most this many commits (default 20).'),
  },
  output: {
    resource: z.string(),
    files: z.array(z.string()),
    entries: z.array(
      z.object({
        sha: z.string(),
        date: z.string(),
        subject: z.string(),
        actor: z.string().optional(),
        plan: z.string().optional(),
        actions: z.array(z.string()),
      }),
    ),
    recorded: z.array(
      z.object({ version: z.number(), status: z.string(), at: z.string(), reason: z.string() }),
    ),
  },
  async run(args, ctx) {
    const r = await api.history({ cwd: ctx.cwd, resource: args.resource, limit: args.limit ?? 20 });
    if (!r.ok) return failure('mcp/unknown-resource', r.error ?? `no history for ${args.resource}`);
    const entries = r.entries.map((e) => ({
      sha: e.sha,
      date: e.date,
      subject: e.subject,
      ...(e.actor != null ? { actor: e.actor } : {}),
      ...(e.plan != null ? { plan: e.plan } : {}),
      actions: e.actions,
    }));
    const recorded = r.recorded.map((c) => ({
      version: c.version,
      status: c.status,
      at: c.at,
      reason: c.reason,
    }));
    return {
      ok: true,
      value: { resource: r.resource, files: r.files, entries, recorded },
      text: [
        `History of ${r.resource} (${r.files.join(', ')}):`,
        ...entries.map((e) => `  ${e.sha.slice(0, 10)} ${e.date} ${e.actor ?? ''} ${e.subject}`),
        ...(entries.length === 0
          ? recorded.map((c) => `  v${c.version} ${c.status} ${c.at}: ${c.reason}`)
          : []),
      ].join('\n'),
    };
  },
});

export const featureFreshnessTool = readTool({
  name: 'feature_freshness',
  title: 'Feature freshness',
  description:
    "Per feature view: the source's newest event and its age against freshness.maxAge, the online table's watermark, and whether the view is stale or behind its source (then refresh_features).",
  input: { view: z.string().min(1).max(200).optional().describe('One feature view (default: all).') },
  output: {
    views: z.array(
      z.object({
        view: z.string(),
        newestEvent: z.string().nullable(),
        ageMs: z.number().nullable(),
        maxAgeMs: z.number(),
        refresh: z.string(),
        stale: z.boolean(),
        watermark: z.string().nullable(),
        materializedAt: z.string().nullable(),
        behindSource: z.boolean(),
        error: z.string().optional(),
      }),
    ),
  },
  async run(args, ctx) {
    const r = await api.featureFreshness({
      cwd: ctx.cwd,
      policiesDir: ctx.policiesDir,
      view: args.view,
      now: ctx.now(),
    });
    if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
    const day = 86_400_000;
    return {
      ok: true,
      value: { views: r.value },
      text: r.value
        .map(
          (v) =>
            `${v.view}: ${v.error ? `unreadable (${v.error})` : `newest event ${v.newestEvent ?? 'none'}${v.ageMs != null ? ` (${(v.ageMs / day).toFixed(1)}d old, max ${(v.maxAgeMs / day).toFixed(1)}d)` : ''}`}; ${v.stale ? 'STALE' : 'fresh'}; online ${v.watermark ?? 'never materialized'}${v.behindSource ? ' — behind the source' : ''}`,
        )
        .join('\n'),
    };
  },
});

const versionSchema = z.object({
  version: z.number(),
  status: z.string(),
  trainedAt: z.string(),
  specDigest: z.string(),
  metrics: z.record(z.number()),
  gates: z.array(
    z.object({
      metric: z.string(),
      rule: z.string(),
      value: z.number(),
      threshold: z.number(),
      passed: z.boolean(),
    }),
  ),
  trainingSet: z.object({
    digest: z.string(),
    cutoff: z.string(),
    rows: z.number(),
    uri: z.string().optional(),
  }),
  featureViewDigests: z.record(z.string()),
  trainer: z.object({ type: z.string(), backend: z.string() }),
  seed: z.number(),
  plan: z.string().optional(),
});

export const compareVersionsTool = readTool({
  name: 'compare_versions',
  title: 'Compare model versions',
  description:
    'Two versions of a model side by side from its lockfile: metrics (and their deltas), gate results, training data (digest, rows, cut-off) and feature views. Default: the champion against the newest version.',
  input: {
    model: modelName,
    a: z.number().int().min(1).optional().describe('Baseline version (default: the champion).'),
    b: z.number().int().min(1).optional().describe('Version to compare (default: the newest).'),
  },
  output: {
    model: z.string(),
    a: versionSchema,
    b: versionSchema,
    metricDeltas: z.record(z.number()),
    sameSpec: z.boolean(),
    sameTrainingSet: z.boolean(),
    changedViews: z.array(z.string()),
  },
  async run(args, ctx) {
    const r = await api.compareVersions({ cwd: ctx.cwd, policiesDir: ctx.policiesDir, ...args });
    if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
    const c = r.value;
    const metrics = Object.keys({ ...c.a.metrics, ...c.b.metrics }).sort();
    return {
      ok: true,
      value: { ...c },
      text: [
        `${c.model}: v${c.a.version} (${c.a.status}) vs v${c.b.version} (${c.b.status})`,
        ...metrics.map(
          (m) =>
            `  ${m.padEnd(12)} ${fmt(c.a.metrics[m])} → ${fmt(c.b.metrics[m])}${c.metricDeltas[m] != null ? ` (${c.metricDeltas[m] >= 0 ? '+' : ''}${c.metricDeltas[m].toFixed(4)})` : ''}`,
        ),
        `  gates v${c.b.version}: ${c.b.gates.map((g) => `${g.metric} ${g.rule} ${g.passed ? 'passed' : 'FAILED'}`).join(', ') || 'none recorded'}`,
        `  training set: ${c.a.trainingSet.rows} → ${c.b.trainingSet.rows} rows${c.sameTrainingSet ? ' (same data)' : ''}; cut-off ${c.a.trainingSet.cutoff} → ${c.b.trainingSet.cutoff}`,
        `  spec ${c.sameSpec ? 'unchanged' : 'changed'}; changed views: ${c.changedViews.join(', ') || 'none'}`,
      ].join('\n'),
    };
  },
});

const fmt = (n: number | undefined) => (n == null ? '—' : n.toFixed(4));

export const datasetSummaryTool = readTool({
  name: 'dataset_summary',
  title: 'Training-set summary',
  description:
    "Build a model's point-in-time training set in a scratch file and summarize it: rows, digest, cut-off, null counts per feature, per-view join statistics, rows left out by quarantines. Values are never returned. Writes only a scratch file under .rudder/ that it removes.",
  input: {
    model: modelName,
    until: z
      .string()
      .datetime({ offset: true })
      .optional()
      .describe('Only labels at or before this ISO time.'),
  },
  output: {
    model: z.string(),
    rows: z.number(),
    digest: z.string(),
    cutoff: z.string(),
    features: z.array(z.string()),
    nullCounts: z.record(z.number()),
    views: z.array(z.record(z.unknown())),
    labelRows: z.object({ read: z.number(), quarantined: z.number(), afterUntil: z.number() }).optional(),
  },
  async run(args, ctx) {
    const r = await api.datasetSummary({
      cwd: ctx.cwd,
      policiesDir: ctx.policiesDir,
      model: args.model,
      until: args.until ? new Date(args.until) : undefined,
    });
    if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
    const s = r.value;
    const nulls = Object.entries(s.nullCounts).filter(([, n]) => n > 0);
    return {
      ok: true,
      value: {
        model: s.model,
        rows: s.rows,
        digest: s.digest,
        cutoff: s.cutoff,
        features: s.features,
        nullCounts: s.nullCounts,
        views: s.views as unknown as Record<string, unknown>[],
        ...(s.labelRows ? { labelRows: s.labelRows } : {}),
      },
      text: [
        `${s.model}: ${s.rows} rows, ${s.features.length} features, cut-off ${s.cutoff}, digest ${s.digest.slice(0, 19)}`,
        nulls.length ? `  nulls: ${nulls.map(([k, n]) => `${k} ${n}`).join(', ')}` : '  no missing values',
        ...(s.labelRows?.quarantined
          ? [`  ${s.labelRows.quarantined} label rows left out by quarantines`]
          : []),
      ].join('\n'),
    };
  },
});

export const listQuarantinesTool = readTool({
  name: 'list_quarantines',
  title: 'List quarantines',
  description:
    'Quarantines recorded in the data locks: which view, column and detector, how many rows (never values), when, and whether they were released.',
  input: { status: z.enum(['active', 'released']).optional().describe('Only active or only released ones.') },
  output: {
    quarantines: z.array(
      z.object({
        id: z.string(),
        policy: z.string(),
        view: z.string(),
        column: z.string().optional(),
        detector: z.string(),
        rows: z.number(),
        at: z.string(),
        status: z.enum(['active', 'released']),
        released: z.object({ at: z.string(), reason: z.string() }).optional(),
      }),
    ),
  },
  async run(args, ctx) {
    const r = await api.dataList({ cwd: ctx.cwd, policiesDir: ctx.policiesDir, status: args.status });
    if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
    const qs = r.value.map((q) => ({
      id: q.id,
      policy: q.policy,
      view: q.view,
      ...(q.column != null ? { column: q.column } : {}),
      detector: q.detector,
      rows: q.rows,
      at: q.at,
      status: q.status,
      ...(q.released ? { released: { at: q.released.at, reason: q.released.reason } } : {}),
    }));
    return {
      ok: true,
      value: { quarantines: qs },
      text: qs.length
        ? qs
            .map(
              (q) =>
                `${q.id} ${q.status}: ${q.rows} rows of ${q.view}${q.column ? `.${q.column}` : ''} (${q.detector}, ${q.policy})`,
            )
            .join('\n')
        : 'No quarantine recorded.',
    };
  },
});

export const rolloutStatusTool = readTool({
  name: 'rollout_status',
  title: 'Rollout status',
  description:
    'Rollouts from the rollout locks: strategy, status, canary step, traffic weights per version and the analysis results so far.',
  input: { model: modelName.optional() },
  output: {
    rollouts: z.array(
      z.object({
        model: z.string(),
        strategy: z.string(),
        status: z.string(),
        step: z.number(),
        versions: z.array(z.object({ version: z.number(), weight: z.number() })),
        analysis: z.array(z.record(z.unknown())),
        updatedAt: z.string(),
        reason: z.string().optional(),
      }),
    ),
  },
  async run(args, ctx) {
    const r = await api.rolloutStatus({ cwd: ctx.cwd, policiesDir: ctx.policiesDir, model: args.model });
    if (!r.ok) return fromDiagnostics(r.diagnostics, r.sources);
    const rollouts = r.value.map((x) => ({
      model: x.model,
      strategy: x.strategy,
      status: x.status,
      step: x.step,
      versions: x.versions,
      analysis: x.analysis as unknown as Record<string, unknown>[],
      updatedAt: x.updatedAt,
      ...(x.reason ? { reason: x.reason } : {}),
    }));
    return {
      ok: true,
      value: { rollouts },
      text: rollouts.length
        ? rollouts
            .map(
              (x) =>
                `${x.model}: ${x.strategy} ${x.status} (step ${x.step}) — ${x.versions.map((v) => `v${v.version} ${Math.round(v.weight * 100)}%`).join(', ') || 'no traffic'}`,
            )
            .join('\n')
        : 'No rollout recorded.',
    };
  },
});

export const readTools: ReadTool[] = [
  statusTool,
  validateTool,
  planTool,
  explainActionTool,
  historyTool,
  featureFreshnessTool,
  compareVersionsTool,
  datasetSummaryTool,
  listQuarantinesTool,
  rolloutStatusTool,
];

export const driftReportTool = readTool({
  name: 'drift_report',
  title: 'Drift report',
  description:
    "Data drift of a model's champion: its reference profile (from training) against the current window (the prediction log when serving wrote one, else the feature sources), per feature (method, statistic, threshold, drifted) and for the dataset (drifted share against the policy's share), with earlier windows for the trend.",
  input: {
    model: modelName,
    windowDays: z
      .number()
      .positive()
      .max(3650)
      .optional()
      .describe("Window length in days (default: the drift trigger's window, else 7)."),
  },
  output: {
    model: z.string(),
    version: z.number(),
    at: z.string(),
    window: z.object({ from: z.string(), to: z.string(), source: z.string(), rows: z.number() }),
    datasetDrift: z.boolean(),
    drifted: z.number(),
    features: z.number(),
    share: z.number(),
    threshold: z.number(),
    insufficient: z.boolean(),
    columns: z.array(
      z.object({
        feature: z.string(),
        status: z.string(),
        method: z.string().optional(),
        statistic: z.number().optional(),
        score: z.number().optional(),
        threshold: z.number().optional(),
        drifted: z.boolean(),
        currentCount: z.number(),
        note: z.string().optional(),
      }),
    ),
    history: z.array(
      z.object({
        from: z.string(),
        to: z.string(),
        rows: z.number(),
        share: z.number(),
        datasetDrift: z.boolean(),
      }),
    ),
  },
  async run(args, ctx) {
    const r = await api.drift({
      cwd: ctx.cwd,
      model: args.model,
      windowMs: args.windowDays != null ? args.windowDays * 86_400_000 : undefined,
      now: ctx.now(),
    });
    if (!r.ok)
      return r.error
        ? failure(
            'drift/unavailable',
            r.error,
            'Check the model name, and that it has a trained version (status).',
          )
        : fromDiagnostics(r.diagnostics, r.sources);
    const d = r.report;
    const columns = d.dataset.columns.map((c) => ({
      feature: c.feature,
      status: c.status,
      ...(c.method ? { method: c.method } : {}),
      ...(c.statistic != null ? { statistic: c.statistic } : {}),
      ...(c.score != null ? { score: c.score } : {}),
      ...(c.threshold != null ? { threshold: c.threshold } : {}),
      drifted: c.drifted,
      currentCount: c.currentCount,
      ...(c.note ? { note: c.note } : {}),
    }));
    return {
      ok: true,
      value: {
        model: d.model,
        version: d.version,
        at: d.at,
        window: d.window,
        datasetDrift: d.dataset.datasetDrift,
        drifted: d.dataset.drifted,
        features: d.dataset.features,
        share: d.dataset.share,
        threshold: d.dataset.threshold,
        insufficient: d.dataset.insufficient,
        columns,
        history: d.history.map((h) => ({
          from: h.from,
          to: h.to,
          rows: h.rows,
          share: h.share,
          datasetDrift: h.datasetDrift,
        })),
      },
      text: [
        `${d.model} v${d.version}: ${d.dataset.datasetDrift ? 'DATASET DRIFT' : 'no dataset drift'} — ${d.dataset.drifted} of ${d.dataset.features} features drifted (share ${d.dataset.share.toFixed(2)}, threshold ${d.dataset.threshold}); window ${d.window.from} → ${d.window.to}, ${d.window.rows} rows from ${d.window.source}`,
        ...columns.map(
          (c) =>
            `  ${c.drifted ? '!' : ' '} ${c.feature}: ${c.status}${c.method ? ` ${c.method}` : ''}${c.statistic != null ? ` statistic ${c.statistic.toFixed(4)}` : ''}${c.threshold != null ? ` (threshold ${c.threshold})` : ''}${c.note ? ` — ${c.note}` : ''}`,
        ),
      ].join('\n'),
    };
  },
});

readTools.push(driftReportTool);
