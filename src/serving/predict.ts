// One prediction request, end to end and without HTTP: route each instance to a version (sticky
// split or a pinned version), assemble its features (given, else the online table), score each
// version's batch, and record every row in the prediction log. Failures are HttpErrors.
import { randomUUID } from 'node:crypto';
import type { FeatureRow, Prediction } from '../trainer/runtime.ts';
import { FeatureValueError } from '../trainer/tfjs/runtime.ts';
import type { EntityKey, PredictionLog, PredictionRecord } from '../prediction-log/port.ts';
import type { Deployment, ServedModel, ServedVersion } from './deployment.ts';
import { HttpError, VERSION_HEADER } from './http-error.ts';
import type { ServingMetrics } from './metrics.ts';
import { LookupError, type FeatureLookup } from './online-features.ts';
import type { ShadowScorer } from './shadow.ts';
import { bucketOf, pickVersion } from './traffic.ts';

export interface Instance {
  entity?: EntityKey;
  /** By feature ref; OIP tensor data is not checked by the body schema, so values are checked here. */
  features: Record<string, unknown>;
}

export interface InstanceResult {
  requestId: string;
  version: number;
  prediction: Prediction;
  /** Features that were null: not supplied and not in the online table (no row, or older than the view's TTL). */
  missing: string[];
}

export interface PredictDeps {
  lookup: FeatureLookup;
  metrics: ServingMetrics;
  clock: () => Date;
  /** Write rows to the prediction log (fire and forget: a failure is counted, not the request's). */
  record: (rows: PredictionRecord[]) => void;
  /** Shadow-scores challenger rows with the champion during a canary; absent: no shadow scores. */
  shadow?: ShadowScorer;
}

export interface PredictRequest {
  /** The deployment the request runs on start to end (the caller holds it with enter/leave). */
  deployment: Deployment;
  model: string;
  instances: readonly Instance[];
  /** The `x-rudder-version` header, when the caller pins a version. */
  pinned?: string;
  /** performance.now() when the request started: logged latencies count from it. */
  started: number;
  /** How instance i's fields are named in errors (`instances[2].`, `inputs[row 2].`, or ''). */
  fieldPrefix: (i: number) => string;
}

/** Appends to the log, if any; a failed append counts as a `log` error and is reported, never thrown. */
export function logRecorder(
  log: PredictionLog | undefined,
  metrics: ServingMetrics,
  say: (line: string) => void,
): (rows: PredictionRecord[]) => void {
  return (rows) => {
    if (!log) return;
    log.append(rows).catch((e: unknown) => {
      metrics.errors.inc({ model: rows[0]?.model ?? '', version: '', kind: 'log' });
      say(`prediction log: ${(e as Error).message}`);
    });
  };
}

export function servedModel(d: Deployment, name: string, listServed: boolean): ServedModel {
  const m = d.models.get(name);
  if (m) return m;
  const served = listServed && d.models.size ? ` (served: ${[...d.models.keys()].join(', ')})` : '';
  throw new HttpError(404, `model ${JSON.stringify(name)} is not served${served}`, 'not-found', 'model');
}

/** Route, assemble features, predict and log. Throws HttpError for anything but success. */
export async function predict(deps: PredictDeps, req: PredictRequest): Promise<InstanceResult[]> {
  const m = servedModel(req.deployment, req.model, true);
  const pin = pinnedVersion(m, req.pinned);
  const now = deps.clock();
  const ids = req.instances.map(() => randomUUID());
  const versions = req.instances.map(
    (inst, i) => pin ?? pickVersion(m.weights, bucketOf(m.name, inst.entity ?? ids[i]!))!,
  );
  const rows = await featureRows(deps.lookup, m, req.instances, now, req.fieldPrefix);
  const build = (
    idx: readonly number[],
    version: (i: number) => number,
    score: (i: number) => number | null,
    error?: string,
  ): PredictionRecord[] => {
    const latencyMs = performance.now() - req.started;
    return idx.map((i) => ({
      requestId: ids[i]!,
      at: now.toISOString(),
      model: m.name,
      version: version(i),
      entity: req.instances[i]!.entity ?? {},
      features: rows[i]!,
      score: score(i),
      latencyMs,
      ...(error !== undefined ? { error } : {}),
    }));
  };
  const record = (...a: Parameters<typeof build>): void => deps.record(build(...a));
  const results: InstanceResult[] = new Array<InstanceResult>(req.instances.length);
  for (const v of new Set(versions)) {
    const idx = versions.flatMap((x, i) => (x === v ? [i] : []));
    const preds = await scoreBatch(m, v, idx, rows, req.fieldPrefix, (msg) =>
      record(
        idx,
        () => v,
        () => null,
        msg,
      ),
    );
    idx.forEach((i, j) => {
      const missing = m.spec.features.filter((f) => rows[i]![f.ref] == null).map((f) => f.ref);
      results[i] = { requestId: ids[i]!, version: v, prediction: preds[j]!, missing };
    });
  }
  const answered = build(
    results.map((_, i) => i),
    (i) => results[i]!.version,
    (i) => results[i]!.prediction.score,
  );
  logAnswered(deps, req.deployment, m, answered, rows);
  for (const r of results) {
    deps.metrics.scores.observe({ model: m.name, version: String(r.version) }, r.prediction.score);
    for (const f of r.missing)
      deps.metrics.missing.inc({ model: m.name, version: String(r.version), feature: f });
  }
  return results;
}

/** The champion that shadow-scores a challenger's rows: only during a progressing canary. */
export function shadowChampion(m: ServedModel): ServedVersion | undefined {
  if (m.rollout.strategy !== 'canary' || m.rollout.status !== 'progressing') return undefined;
  return [...m.versions.values()].find((v) => v.status === 'champion');
}

/** Log the answered rows: a challenger's through the shadow scorer (which logs them once scored). */
function logAnswered(
  deps: PredictDeps,
  deployment: Deployment,
  m: ServedModel,
  records: PredictionRecord[],
  rows: readonly FeatureRow[],
): void {
  const champion = deps.shadow ? shadowChampion(m) : undefined;
  const isChallenger = (r: PredictionRecord): boolean =>
    champion != null && m.versions.get(r.version)?.status === 'challenger';
  const now = records.filter((r) => !isChallenger(r));
  if (now.length > 0) deps.record(now);
  if (now.length === records.length) return;
  const idx = records.flatMap((r, i) => (isChallenger(r) ? [i] : []));
  deps.shadow!.submit({
    deployment,
    champion: champion!,
    rows: idx.map((i) => rows[i]!),
    records: idx.map((i) => records[i]!),
  });
}

function pinnedVersion(m: ServedModel, pinned: string | undefined): number | undefined {
  if (pinned === undefined) return undefined;
  const pin = Number(pinned);
  if (!Number.isInteger(pin) || !m.versions.has(pin))
    throw new HttpError(
      404,
      `model ${m.name} has no active version ${JSON.stringify(pinned)} (active: ${[...m.versions.keys()].map((v) => `v${v}`).join(', ')})`,
      'not-found',
      `header.${VERSION_HEADER}`,
    );
  return pin;
}

/** One version's rows through its runtime; a model failure is logged (via `logFailure`) as that version's error. */
async function scoreBatch(
  m: ServedModel,
  v: number,
  idx: readonly number[],
  rows: readonly FeatureRow[],
  prefix: (i: number) => string,
  logFailure: (message: string) => void,
): Promise<Prediction[]> {
  const runtime = m.versions.get(v)!.runtime;
  const batch = idx.map((i) => rows[i]!);
  try {
    return runtime.predictSync ? runtime.predictSync(batch) : await runtime.predict(batch);
  } catch (e) {
    if (e instanceof FeatureValueError)
      throw new HttpError(400, e.message, 'bad-request', `${prefix(idx[0]!)}features.${e.field}`, v);
    const msg = (e as Error).message.split('\n')[0] ?? String(e);
    logFailure(msg);
    throw new HttpError(500, `model ${m.name} v${v} failed: ${msg}`, 'model', undefined, v);
  }
}

export const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';

/** The model's feature rows: what each instance supplies, the rest from the online table (one lookup per view). */
export async function featureRows(
  lookup: FeatureLookup,
  m: ServedModel,
  instances: readonly Instance[],
  now: Date,
  prefix: (i: number) => string,
): Promise<FeatureRow[]> {
  const refs = new Set(m.spec.features.map((f) => f.ref));
  const rows: FeatureRow[] = instances.map((inst, i) => {
    const row: FeatureRow = {};
    for (const [k, v] of Object.entries(inst.features)) {
      const field = `${prefix(i)}features.${k}`;
      if (!refs.has(k))
        throw new HttpError(
          400,
          `unknown feature ${JSON.stringify(k)}: model ${m.name} reads ${[...refs].join(', ')}`,
          'bad-request',
          field,
        );
      if (v !== null && !isScalar(v))
        throw new HttpError(
          400,
          `feature ${k} must be a string, number, boolean or null`,
          'bad-request',
          field,
        );
      row[k] = v;
    }
    return row;
  });
  for (const [viewName, view] of m.views) {
    const wanted = m.spec.features.filter((f) => f.view === viewName);
    const need = instances
      .map((_, i) => i)
      .filter((i) => wanted.some((f) => !(f.ref in instances[i]!.features)));
    if (need.length === 0) continue;
    for (const i of need)
      if (!instances[i]!.entity)
        throw new HttpError(
          400,
          `features of view "${viewName}" are not supplied and there is no entity to look them up by`,
          'bad-request',
          `${prefix(i)}entity`,
        );
    let found;
    try {
      found = await lookup.lookup(
        view,
        need.map((i) => instances[i]!.entity!),
        now,
      );
    } catch (e) {
      if (e instanceof LookupError)
        throw e.field
          ? new HttpError(400, e.message, 'bad-request', `${prefix(need[0]!)}${e.field}`)
          : new HttpError(503, e.message, 'lookup');
      throw new HttpError(503, `feature lookup failed: ${(e as Error).message}`, 'lookup');
    }
    need.forEach((i, j) => {
      const values = found[j]!.values;
      for (const f of wanted) if (!(f.ref in rows[i]!)) rows[i]![f.ref] = values[f.name] ?? null;
    });
  }
  return rows;
}
