// Operations the MCP server (and anyone else) needs beyond plan/apply: read views over the
// lockfiles and the store (compare versions, freshness, a training-set summary, quarantines,
// rollouts), and *restricted plans*: the plan for one operation (retrain one model, refresh one
// view, …), which `api.apply` then applies exactly like any reviewed plan. Re-exported by api.ts.
import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import type { ApiResult } from '../diagnostics/diagnostic.ts';
import type { Plan, PlanAction } from '../planner/plan-types.ts';
import type { DataLock, Quarantine, RolloutLock } from '../state/types.ts';
import type { AppliedPolicies, TrainingSetViewStats } from '../store/port.ts';
import { restrictPlan } from '../compose/run.ts';
import { fail, unknownResource as unknown, withWorkspace } from '../compose/with-workspace.ts';
import { nodeSha256 } from '../util/node-hash.ts';
import { makePlan } from '../compose/default-ports.ts';
import { openStore } from '../compose/workspace.ts';

export { compareVersions, type VersionComparison, type VersionSummary } from '../compose/compare-versions.ts';

type OpsResult<T> = ApiResult<{ value: T }>;

// ── Restricted plans: one operation, planned and applied like any plan ──

export type Operation =
  | { kind: 'retrain'; model: string }
  | { kind: 'promote'; model: string }
  | { kind: 'refresh-features'; view?: string }
  | { kind: 'scan-data'; policy?: string }
  /** The rollout's next step (or its promotion after the last step), when its analysis passed. */
  | { kind: 'rollout-advance'; model: string }
  /** The rollout's rollback, when its analysis failed. */
  | { kind: 'rollout-rollback'; model: string }
  /** Abort the model's progressing rollout now, whatever its analysis says (a person's decision). */
  | { kind: 'rollout-abort'; model: string };

export interface OperationPlan {
  plan: Plan;
  /** Models whose manual-approval actions this operation approves (promote). */
  approve: string[];
}

const modelOf = (a: PlanAction): string | undefined =>
  a.resource.kind === 'Model' || a.resource.kind === 'RolloutPolicy'
    ? ((a.params as { model?: string }).model ?? a.resource.name)
    : undefined;

/** The plan of one operation (its actions and their dependencies). Read-only. */
export async function planOperation(opts: {
  cwd: string;
  policiesDir?: string;
  op: Operation;
  now?: Date;
}): Promise<OpsResult<OperationPlan>> {
  return withWorkspace(opts, async (ws) => {
    const op = opts.op;
    const sources = new Map([...ws.lockTexts]);
    const models = ws.desired.models.map((m) => m.name);
    const views = ws.desired.featureViews.map((v) => v.name);
    const policies = ws.desired.dataPolicies.map((p) => p.name);
    if ('model' in op && !models.includes(op.model)) return unknown(ws, 'model', op.model, models);
    if (op.kind === 'refresh-features' && op.view != null && !views.includes(op.view))
      return unknown(ws, 'feature view', op.view, views);
    if (op.kind === 'scan-data' && op.policy != null && !policies.includes(op.policy))
      return unknown(ws, 'data policy', op.policy, policies);
    const full = await makePlan(ws, {
      now: opts.now ?? new Date(),
      retrain: op.kind === 'retrain' ? [op.model] : undefined,
      // Asking to refresh is the person's request that `refresh: manual` waits for.
      refresh:
        op.kind === 'refresh-features'
          ? ws.desired.featureViews
              .filter((v) => v.freshness.refresh === 'manual' && (op.view == null || v.name === op.view))
              .map((v) => v.name)
          : undefined,
      abort: op.kind === 'rollout-abort' ? [op.model] : undefined,
    });
    const keep = (a: PlanAction): boolean => {
      switch (op.kind) {
        case 'retrain':
          return modelOf(a) === op.model && a.type !== 'model.retire';
        case 'promote':
          return (a.type === 'model.promote' || a.type === 'rollout.start') && modelOf(a) === op.model;
        case 'refresh-features':
          return a.type === 'feature.materialize' && (op.view == null || a.resource.name === op.view);
        case 'scan-data':
          return a.type === 'data.scan' && (op.policy == null || a.resource.name === op.policy);
        case 'rollout-advance':
          return (a.type === 'rollout.advance' || a.type === 'rollout.promote') && modelOf(a) === op.model;
        case 'rollout-rollback':
        case 'rollout-abort':
          return a.type === 'rollout.rollback' && modelOf(a) === op.model;
      }
    };
    return {
      ok: true,
      value: { plan: restrictPlan(full, keep), approve: op.kind === 'promote' ? [op.model] : [] },
      diagnostics: [],
      sources,
    };
  });
}

// ── Read views ──

export interface FeatureFreshness {
  view: string;
  /** Newest event in the source, and its age against `now`. */
  newestEvent: string | null;
  ageMs: number | null;
  maxAgeMs: number;
  refresh: 'auto' | 'manual';
  /** The source's newest event is older than freshness.maxAge: new data is not arriving. */
  stale: boolean;
  /** Newest event materialized into the online table (from the feature lock), or null. */
  watermark: string | null;
  materializedAt: string | null;
  /** The online table lags the source (new rows or a changed definition not materialized yet). */
  behindSource: boolean;
  error?: string;
}

/** Per feature view: the source's newest event and age, the online table's watermark, and what is stale. Read-only. */
export async function featureFreshness(opts: {
  cwd: string;
  policiesDir?: string;
  view?: string;
  now?: Date;
}): Promise<OpsResult<FeatureFreshness[]>> {
  return withWorkspace(opts, async (ws) => {
    const sources = new Map([...ws.lockTexts]);
    const all = ws.desired.featureViews;
    const views = opts.view == null ? all : all.filter((v) => v.name === opts.view);
    if (opts.view != null && views.length === 0)
      return unknown(
        ws,
        'feature view',
        opts.view,
        all.map((v) => v.name),
      );
    const store = await openStore(ws);
    try {
      const out: FeatureFreshness[] = [];
      for (const v of views) {
        const fl = ws.lock.features[v.name];
        const base = {
          view: v.name,
          maxAgeMs: v.freshness.maxAgeMs,
          refresh: v.freshness.refresh,
          watermark: fl?.watermark ?? null,
          materializedAt: fl?.materializedAt ?? null,
        };
        try {
          const f = await store.freshness(v, { now: opts.now ?? new Date() });
          out.push({
            ...base,
            newestEvent: f.newestEvent,
            ageMs: f.ageMs ?? null,
            stale: f.stale ?? false,
            behindSource:
              fl == null ||
              fl.viewDigest !== v.digest ||
              fl.sourceDigest !== f.sourceDigest ||
              (f.newestEvent != null && (fl.watermark == null || fl.watermark < f.newestEvent)),
          });
        } catch (e) {
          // Fail closed: an unreadable source is reported, never called fresh.
          out.push({
            ...base,
            newestEvent: null,
            ageMs: null,
            stale: true,
            behindSource: true,
            error: (e as Error).message,
          });
        }
      }
      return { ok: true, value: out, diagnostics: [], sources };
    } finally {
      await store.close();
    }
  });
}

export interface DatasetSummary {
  model: string;
  rows: number;
  digest: string;
  cutoff: string;
  features: string[];
  nullCounts: Record<string, number>;
  views: TrainingSetViewStats[];
  labelRows?: { read: number; quarantined: number; afterUntil: number };
  policies?: AppliedPolicies;
}

/** Build a model's point-in-time training set in a scratch file and summarize it (rows, nulls, digest, cut-off); the file is removed. */
export async function datasetSummary(opts: {
  cwd: string;
  policiesDir?: string;
  model: string;
  until?: Date;
}): Promise<OpsResult<DatasetSummary>> {
  return withWorkspace(opts, async (ws) => {
    const sources = new Map([...ws.lockTexts]);
    const model = ws.desired.models.find((m) => m.name === opts.model);
    if (!model)
      return unknown(
        ws,
        'model',
        opts.model,
        ws.desired.models.map((m) => m.name),
      );
    const dir = join(resolve(ws.root), '.rudder', 'work', `summary-${randomUUID()}`);
    await mkdir(dir, { recursive: true });
    const store = await openStore(ws);
    try {
      const ts = await store.buildTrainingSet({
        model,
        views: ws.desired.featureViews.filter((v) => model.views.includes(v.name)),
        until: opts.until,
        outPath: join(dir, 'training-set.parquet'),
      });
      return {
        ok: true,
        value: {
          model: model.name,
          rows: ts.rows,
          digest: ts.digest,
          cutoff: ts.cutoff,
          features: ts.features.map((f) => f.ref),
          nullCounts: ts.nullCounts,
          views: ts.views ?? [],
          labelRows: ts.labelRows,
          policies: ts.policies,
        },
        diagnostics: [],
        sources,
      };
    } finally {
      await store.close();
      await rm(dir, { recursive: true, force: true });
    }
  });
}

export interface QuarantineEntry extends Quarantine {
  policy: string;
  status: 'active' | 'released';
}

/** Every quarantine the data locks record (active and released). Read-only. */
export async function dataList(opts: {
  cwd: string;
  policiesDir?: string;
  status?: 'active' | 'released';
}): Promise<OpsResult<QuarantineEntry[]>> {
  return withWorkspace(opts, (ws) => {
    const out: QuarantineEntry[] = Object.values(ws.lock.data).flatMap((d: DataLock) =>
      d.quarantines.map((q) => ({
        ...q,
        policy: d.policy,
        status: q.released ? ('released' as const) : ('active' as const),
      })),
    );
    return {
      ok: true,
      value: out.filter((q) => opts.status == null || q.status === opts.status),
      diagnostics: [],
      sources: new Map([...ws.lockTexts]),
    };
  });
}

/** Rollout locks (one model, or all): strategy, status, step, traffic, analysis. Read-only. */
export async function rolloutStatus(opts: {
  cwd: string;
  policiesDir?: string;
  model?: string;
}): Promise<OpsResult<RolloutLock[]>> {
  return withWorkspace(opts, (ws) => {
    const all = Object.values(ws.lock.rollouts).sort((x, y) => (x.model < y.model ? -1 : 1));
    if (opts.model != null && !ws.desired.models.some((m) => m.name === opts.model))
      return unknown(
        ws,
        'model',
        opts.model,
        ws.desired.models.map((m) => m.name),
      );
    return {
      ok: true,
      value: opts.model == null ? all : all.filter((r) => r.model === opts.model),
      diagnostics: [],
      sources: new Map([...ws.lockTexts]),
    };
  });
}

// ── Quarantine release, previewed ──

export interface ReleasePreview {
  quarantine: Quarantine;
  policy: string;
  /** Digest of the data lock as read: the release applies only to this state. */
  lockDigest: string;
  alreadyReleased: boolean;
}

/** What releasing a quarantine would change (its record, and the data lock it lives in). Read-only. */
export async function previewRelease(opts: {
  cwd: string;
  policiesDir?: string;
  id: string;
}): Promise<OpsResult<ReleasePreview>> {
  return withWorkspace<ReleasePreview>(opts, (ws) => {
    const sources = new Map([...ws.lockTexts]);
    const owner = Object.values(ws.lock.data).find((d) => d.quarantines.some((q) => q.id === opts.id));
    if (!owner) {
      const active = Object.values(ws.lock.data).flatMap((d) =>
        d.quarantines.filter((q) => !q.released).map((q) => q.id),
      );
      return {
        ok: false,
        diagnostics: [
          fail(
            'data/unknown-quarantine',
            `no data lock records quarantine ${JSON.stringify(opts.id)}`,
            active.length
              ? `Active quarantines: ${active.slice(0, 10).join(', ')}`
              : 'No quarantine is active.',
          ),
        ],
        sources,
      };
    }
    const q = owner.quarantines.find((x) => x.id === opts.id)!;
    const path = [...ws.lockTexts.keys()].find(
      (p) => p.endsWith(`/data/${owner.policy}.lock.yaml`) || p === `data/${owner.policy}.lock.yaml`,
    );
    return {
      ok: true,
      value: {
        quarantine: q,
        policy: owner.policy,
        lockDigest: `sha256:${nodeSha256(path ? (ws.lockTexts.get(path) ?? '') : JSON.stringify(owner))}`,
        alreadyReleased: q.released != null,
      },
      diagnostics: [],
      sources,
    };
  });
}
