// `rudder serve`: an HTTP server (Fastify) hosting every model's active versions as the rollout
// locks say. Endpoints: the Open Inference Protocol v2 (KServe, Triton, Seldon), a plain JSON
// predict that looks features up in the online table, delayed labels, Prometheus metrics.
//
// Why Fastify over node:http + a router: it brings the body limit (413), JSON parsing errors
// (400), routing and graceful close (in-flight requests finish) that this server needs anyway,
// and bench/serve.ts measures what it costs next to a bare node:http server in the same run.
import { randomUUID } from 'node:crypto';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest } from 'fastify';
import type { FeatureRow, Prediction } from '../trainer/runtime.ts';
import { FeatureValueError } from '../trainer/tfjs-runtime.ts';
import { loadWorkspace } from '../workspace.ts';
import {
  buildDeployment,
  type Deployment,
  droppedVersions,
  stateFingerprint,
  type ServedModel,
} from './deployment.ts';
import { ServingMetrics, type ErrorKind } from './metrics.ts';
import { LookupError, SnapshotLookup, type FeatureLookup } from './online-features.ts';
import { openPredictionLog } from '../prediction-log/parquet-log.ts';
import type { EntityKey, LabelRecord, PredictionLog, PredictionRecord } from '../prediction-log/port.ts';
import { bucketOf, pickVersion } from './traffic.ts';

export const VERSION_HEADER = 'x-rudder-version';
export const DEFAULT_PORT = 8080;

export interface ServeOptions {
  cwd: string;
  /** Default 127.0.0.1: serving on other interfaces is a deliberate choice. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** The prediction log; default the Parquet log under .rudder/predictions. `false` turns logging off. */
  log?: PredictionLog | false;
  /** Feature lookups; default an in-memory snapshot of the online tables, retaken on change. */
  lookup?: FeatureLookup;
  /** How often the state is checked for changes. Default 500 ms. */
  pollMs?: number;
  /** Largest request body. Default 1 MiB. */
  bodyLimit?: number;
  /** Most instances in one request. Default 1000. */
  maxInstances?: number;
  clock?: () => Date;
  /** Operational messages (reloads, load problems); the CLI prints them to stderr. */
  onMessage?: (line: string) => void;
}

export interface ReloadOutcome {
  result: 'swapped' | 'unchanged' | 'failed';
  message: string;
}

export interface RunningServer {
  url: string;
  port: number;
  metrics: ServingMetrics;
  deployment(): Deployment;
  /** Check the state now (the poller does this every pollMs). */
  reload(): Promise<ReloadOutcome>;
  /** Write the buffered predictions and labels to the log now (it does so every second anyway). */
  flushLog(): Promise<void>;
  /** Stop accepting, finish in-flight requests, flush the prediction log. */
  close(): Promise<void>;
}

export class ServeError extends Error {
  override name = 'ServeError';
}

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind: ErrorKind,
    readonly field?: string,
    readonly version?: number,
  ) {
    super(message);
  }
}

interface Instance {
  entity?: EntityKey;
  features: Record<string, unknown>;
}

interface InstanceResult {
  requestId: string;
  version: number;
  prediction: Prediction;
  /** Features that were null: not supplied and not in the online table (no row, or older than the view's TTL). */
  missing: string[];
}

const isScalar = (v: unknown): v is string | number | boolean =>
  typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v)) || typeof v === 'boolean';

function parseEntity(v: unknown, field: string): EntityKey | undefined {
  if (v == null) return undefined;
  if (typeof v !== 'object' || Array.isArray(v))
    throw new HttpError(400, `${field} must be an object of entity key values`, 'bad-request', field);
  const out: EntityKey = {};
  for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
    if (!isScalar(x))
      throw new HttpError(
        400,
        `${field}.${k} must be a string, number or boolean`,
        'bad-request',
        `${field}.${k}`,
      );
    out[k] = x;
  }
  return out;
}

function parseV1Body(body: unknown, max: number): Instance[] {
  if (body == null || typeof body !== 'object' || Array.isArray(body))
    throw new HttpError(
      400,
      'the body must be a JSON object: {"entity": {...}, "features"?: {...}} or {"instances": [...]}',
      'bad-request',
      'body',
    );
  const b = body as Record<string, unknown>;
  const raw = b.instances !== undefined ? b.instances : [b];
  if (!Array.isArray(raw) || raw.length === 0)
    throw new HttpError(400, 'instances must be a non-empty array', 'bad-request', 'instances');
  if (raw.length > max)
    throw new HttpError(
      413,
      `${raw.length} instances in one request; at most ${max}`,
      'too-large',
      'instances',
    );
  return raw.map((x, i) => {
    const field = b.instances !== undefined ? `instances[${i}]` : '';
    const at = (f: string): string => (field ? `${field}.${f}` : f);
    if (x == null || typeof x !== 'object' || Array.isArray(x))
      throw new HttpError(400, `${field || 'body'} must be an object`, 'bad-request', field || 'body');
    const o = x as Record<string, unknown>;
    for (const k of Object.keys(o))
      if (k !== 'entity' && k !== 'features')
        throw new HttpError(400, `unknown field ${at(k)} (expected entity, features)`, 'bad-request', at(k));
    const features = o.features ?? {};
    if (typeof features !== 'object' || Array.isArray(features) || features === null)
      throw new HttpError(
        400,
        `${at('features')} must be an object of feature values by ref (view:feature)`,
        'bad-request',
        at('features'),
      );
    const entity = parseEntity(o.entity, at('entity'));
    return { ...(entity ? { entity } : {}), features: features as Record<string, unknown> };
  });
}

export async function startServer(opts: ServeOptions): Promise<RunningServer> {
  const root = resolve(opts.cwd);
  const clock = opts.clock ?? (() => new Date());
  const say = opts.onMessage ?? (() => undefined);
  const maxInstances = opts.maxInstances ?? 1000;
  const ws = await loadWorkspace({ cwd: root });
  if (!ws.ok)
    throw new ServeError(
      `cannot serve: the policies or lockfiles do not load (${ws.diagnostics
        .filter((d) => d.severity === 'error')
        .slice(0, 3)
        .map((d) => `${d.code}: ${d.message}`)
        .join('; ')}); run rudder validate`,
    );
  const project = ws.value.desired.project;
  const watchDirs = [project.stateDir, project.policiesDir];
  const first = await buildDeployment({ root });
  if (!first.ok) throw new ServeError(`cannot serve: ${first.error}`);
  let current = first.deployment;
  for (const p of current.problems) say(`not serving ${p.model}: ${p.message}`);

  const lookup = opts.lookup ?? new SnapshotLookup(resolve(root, project.store.path));
  let snapshotKey: string | undefined;
  const refreshFeatures = async (d: Deployment): Promise<void> => {
    if (!(lookup instanceof SnapshotLookup) || snapshotKey === d.featureKey) return;
    try {
      const r = await lookup.refresh(d.views);
      snapshotKey = d.featureKey;
      say(`online features: ${r.rows} entities from ${d.views.map((v) => v.name).join(', ') || 'no view'}`);
    } catch (e) {
      // Kept: the previous snapshot (a writer may hold the store for a moment); retried next poll.
      say(`online features not refreshed: ${(e as Error).message}`);
    }
  };
  await refreshFeatures(current);

  const log: PredictionLog | undefined =
    opts.log === false
      ? undefined
      : (opts.log ??
        openPredictionLog(root, {
          onError: (e) => say(`prediction log flush failed (rows kept, retrying): ${e.message}`),
        }));
  const metrics = new ServingMetrics();
  metrics.setWeights(current);

  // ── reload: poll the state's fingerprint; rebuild, verify, swap one reference ──
  let fingerprint = await stateFingerprint(root, watchDirs);
  let reloading: Promise<ReloadOutcome> | undefined;
  const reload = (): Promise<ReloadOutcome> =>
    (reloading ??= (async (): Promise<ReloadOutcome> => {
      try {
        const fp = await stateFingerprint(root, watchDirs);
        const built = await buildDeployment({ root, previous: current });
        if (!built.ok) {
          metrics.reloads.inc({ result: 'failed' });
          return {
            result: 'failed',
            message: `state not reloaded (still serving the previous one): ${built.error}`,
          };
        }
        fingerprint = fp;
        const next = built.deployment;
        await refreshFeatures(next);
        if (next.key === current.key) {
          metrics.reloads.inc({ result: 'unchanged' });
          return { result: 'unchanged', message: 'no served version changed' };
        }
        const old = current;
        current = next;
        metrics.zeroWeights(old);
        metrics.setWeights(next);
        const dropped = droppedVersions(old, next);
        old.retire(() => {
          for (const v of dropped) void Promise.resolve(v.runtime.dispose()).catch(() => undefined);
        });
        for (const p of next.problems) say(`not serving ${p.model}: ${p.message}`);
        metrics.reloads.inc({ result: 'swapped' });
        const desc = [...next.models.values()]
          .map(
            (m) =>
              `${m.name} ${m.weights.map((w) => `v${w.version} ${Math.round(w.weight * 1000) / 10}%`).join(' / ')}`,
          )
          .join('; ');
        return {
          result: 'swapped',
          message: `reloaded (${built.loaded} loaded, ${built.reused} kept): ${desc}`,
        };
      } catch (e) {
        metrics.reloads.inc({ result: 'failed' });
        return { result: 'failed', message: `state not reloaded: ${(e as Error).message}` };
      } finally {
        reloading = undefined;
      }
    })());
  const poll = setInterval(() => {
    if (reloading) return;
    void stateFingerprint(root, watchDirs)
      .then(async (fp) => {
        if (fp !== fingerprint || (lookup instanceof SnapshotLookup && snapshotKey !== current.featureKey))
          say((await reload()).message);
      })
      .catch((e: unknown) => say(`state check failed: ${(e as Error).message}`));
  }, opts.pollMs ?? 500);

  // ── prediction ──
  const record = (rows: PredictionRecord[]): void => {
    if (!log) return;
    log.append(rows).catch((e: unknown) => {
      metrics.errors.inc({ model: rows[0]?.model ?? '', version: '', kind: 'log' });
      say(`prediction log: ${(e as Error).message}`);
    });
  };

  const featureRows = async (
    m: ServedModel,
    instances: readonly Instance[],
    now: Date,
    prefix: (i: number) => string,
  ): Promise<FeatureRow[]> => {
    const refs = new Set(m.spec.features.map((f) => f.ref));
    const rows: FeatureRow[] = instances.map((inst, i) => {
      const row: FeatureRow = {};
      for (const [k, v] of Object.entries(inst.features)) {
        if (!refs.has(k))
          throw new HttpError(
            400,
            `unknown feature ${JSON.stringify(k)}: model ${m.name} reads ${[...refs].join(', ')}`,
            'bad-request',
            `${prefix(i)}features.${k}`,
          );
        if (v !== null && !isScalar(v))
          throw new HttpError(
            400,
            `feature ${k} must be a string, number, boolean or null`,
            'bad-request',
            `${prefix(i)}features.${k}`,
          );
        row[k] = v;
      }
      return row;
    });
    // Features not supplied come from the online table, one lookup per view.
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
  };

  /** Route, assemble features, predict and log. Throws HttpError for anything but success. */
  const predict = async (
    d: Deployment,
    name: string,
    instances: readonly Instance[],
    pinned: string | undefined,
    started: number,
    prefix: (i: number) => string,
  ): Promise<InstanceResult[]> => {
    const m = d.models.get(name);
    if (!m)
      throw new HttpError(
        404,
        `model ${JSON.stringify(name)} is not served${d.models.size ? ` (served: ${[...d.models.keys()].join(', ')})` : ''}`,
        'not-found',
        'model',
      );
    let pin: number | undefined;
    if (pinned !== undefined) {
      pin = Number(pinned);
      if (!Number.isInteger(pin) || !m.versions.has(pin))
        throw new HttpError(
          404,
          `model ${name} has no active version ${JSON.stringify(pinned)} (active: ${[...m.versions.keys()].map((v) => `v${v}`).join(', ')})`,
          'not-found',
          `header.${VERSION_HEADER}`,
        );
    }
    const now = clock();
    const ids = instances.map(() => randomUUID());
    const versions = instances.map(
      (inst, i) => pin ?? pickVersion(m.weights, bucketOf(name, inst.entity ?? ids[i]!))!,
    );
    const rows = await featureRows(m, instances, now, prefix);
    const results: InstanceResult[] = new Array<InstanceResult>(instances.length);
    for (const v of new Set(versions)) {
      const idx = versions.flatMap((x, i) => (x === v ? [i] : []));
      const sv = m.versions.get(v)!;
      const batch = idx.map((i) => rows[i]!);
      let preds: Prediction[];
      try {
        preds = sv.runtime.predictSync ? sv.runtime.predictSync(batch) : await sv.runtime.predict(batch);
      } catch (e) {
        if (e instanceof FeatureValueError) {
          const i = idx[0]!;
          throw new HttpError(400, e.message, 'bad-request', `${prefix(i)}features.${e.field}`, v);
        }
        const msg = (e as Error).message.split('\n')[0] ?? String(e);
        const latencyMs = performance.now() - started;
        record(
          idx.map((i) => ({
            requestId: ids[i]!,
            at: now.toISOString(),
            model: name,
            version: v,
            entity: instances[i]!.entity ?? {},
            features: rows[i]!,
            score: null,
            latencyMs,
            error: msg,
          })),
        );
        throw new HttpError(500, `model ${name} v${v} failed: ${msg}`, 'model', undefined, v);
      }
      idx.forEach(
        (i, j) =>
          (results[i] = {
            requestId: ids[i]!,
            version: v,
            prediction: preds[j]!,
            missing: m.spec.features.filter((f) => rows[i]![f.ref] == null).map((f) => f.ref),
          }),
      );
    }
    const latencyMs = performance.now() - started;
    record(
      results.map((r, i) => ({
        requestId: r.requestId,
        at: now.toISOString(),
        model: name,
        version: r.version,
        entity: instances[i]!.entity ?? {},
        features: rows[i]!,
        score: r.prediction.score,
        latencyMs,
      })),
    );
    for (const r of results) {
      metrics.scores.observe({ model: name, version: String(r.version) }, r.prediction.score);
      for (const f of r.missing) metrics.missing.inc({ model: name, version: String(r.version), feature: f });
    }
    return results;
  };

  // ── HTTP ──
  const app: FastifyInstance = Fastify({
    bodyLimit: opts.bodyLimit ?? 1024 * 1024,
    logger: false,
    return503OnClosing: false,
  });
  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    const kind: ErrorKind =
      status === 413 ? 'too-large' : status === 404 ? 'not-found' : status < 500 ? 'bad-request' : 'model';
    const params = req.params as { name?: string; target?: string } | undefined;
    const model = params?.name ?? params?.target?.replace(/:[^:]*$/, '') ?? '';
    metrics.errors.inc({ model, version: '', kind });
    metrics.requests.inc({ model, version: '', endpoint: req.routeOptions.url ?? '', code: String(status) });
    const message =
      err.code === 'FST_ERR_CTP_BODY_TOO_LARGE'
        ? `the request body is larger than ${opts.bodyLimit ?? 1024 * 1024} bytes`
        : err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE'
          ? 'send the body as application/json'
          : status < 500
            ? `malformed request body: ${err.message}`
            : 'internal error';
    void reply.code(status).send({ error: message, ...(status < 500 ? { field: 'body' } : {}) });
  });

  const fail = (reply: FastifyReply, endpoint: string, model: string, e: unknown): FastifyReply => {
    const h =
      e instanceof HttpError
        ? e
        : e instanceof FeatureValueError
          ? new HttpError(400, e.message, 'bad-request', `features.${e.field}`)
          : new HttpError(500, `internal error: ${(e as Error).message.split('\n')[0]}`, 'model');
    const version = h.version != null ? String(h.version) : '';
    metrics.errors.inc({ model, version, kind: h.kind });
    metrics.requests.inc({ model, version, endpoint, code: String(h.status) });
    if (h.version != null) void reply.header(VERSION_HEADER, String(h.version));
    return reply.code(h.status).send({ error: h.message, ...(h.field ? { field: h.field } : {}) });
  };

  const observe = (
    name: string,
    results: readonly InstanceResult[],
    endpoint: string,
    started: number,
  ): void => {
    const seconds = (performance.now() - started) / 1000;
    for (const v of new Set(results.map((r) => r.version))) {
      const version = String(v);
      metrics.requests.inc({ model: name, version, endpoint, code: '200' });
      metrics.latency.observe({ model: name, version }, seconds);
    }
  };

  const withDeployment = async <T>(fn: (d: Deployment) => Promise<T>): Promise<T> => {
    const d = current;
    d.enter();
    try {
      return await fn(d);
    } finally {
      d.leave();
    }
  };

  // `/v1/models/{name}:predict` (Google's custom-method style); the router takes the segment whole.
  app.post('/v1/models/:target', async (req: FastifyRequest<{ Params: { target: string } }>, reply) => {
    const started = performance.now();
    const target = req.params.target;
    const colon = target.lastIndexOf(':');
    const name = colon > 0 ? target.slice(0, colon) : target;
    const endpoint = 'v1-predict';
    try {
      if (target.slice(colon + 1) !== 'predict' || colon <= 0)
        throw new HttpError(
          404,
          `no such endpoint: POST /v1/models/${target} (use /v1/models/{name}:predict)`,
          'not-found',
          'path',
        );
      const instances = parseV1Body(req.body, maxInstances);
      const batched = (req.body as { instances?: unknown }).instances !== undefined;
      const pinned = req.headers[VERSION_HEADER] as string | undefined;
      const results = await withDeployment((d) =>
        predict(d, name, instances, pinned, started, (i) => (batched ? `instances[${i}].` : '')),
      );
      observe(name, results, endpoint, started);
      const versions = new Set(results.map((r) => r.version));
      if (versions.size === 1) void reply.header(VERSION_HEADER, String(results[0]!.version));
      const out = (r: InstanceResult) => ({
        requestId: r.requestId,
        version: r.version,
        score: r.prediction.score,
        ...(r.prediction.label !== undefined ? { label: r.prediction.label } : {}),
        ...(r.prediction.probabilities ? { probabilities: r.prediction.probabilities } : {}),
        // A score made without some features is still a score, but the caller must be able to tell.
        ...(r.missing.length > 0 ? { missingFeatures: r.missing } : {}),
      });
      return batched ? { model: name, predictions: results.map(out) } : { model: name, ...out(results[0]!) };
    } catch (e) {
      return fail(reply, endpoint, name, e);
    }
  });

  // Open Inference Protocol v2 (kserve/open-inference-protocol, REST).
  app.post('/v2/models/:name/infer', async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const started = performance.now();
    const name = req.params.name;
    const endpoint = 'v2-infer';
    try {
      const body = req.body as { id?: unknown; inputs?: unknown } | null;
      if (body == null || typeof body !== 'object' || !Array.isArray(body.inputs) || body.inputs.length === 0)
        throw new HttpError(
          400,
          'the body must be an inference request with a non-empty "inputs" array',
          'bad-request',
          'inputs',
        );
      const results = await withDeployment(async (d) => {
        const m = d.models.get(name);
        if (!m) throw new HttpError(404, `model ${JSON.stringify(name)} is not served`, 'not-found', 'model');
        const instances = oipInstances(m, body.inputs as unknown[], maxInstances);
        const pinned = req.headers[VERSION_HEADER] as string | undefined;
        return predict(d, name, instances, pinned, started, (i) => `inputs[row ${i}].`);
      });
      observe(name, results, endpoint, started);
      const versions = [...new Set(results.map((r) => r.version))];
      const n = results.length;
      const outputs: unknown[] = [
        { name: 'score', datatype: 'FP64', shape: [n], data: results.map((r) => r.prediction.score) },
        { name: 'version', datatype: 'INT32', shape: [n], data: results.map((r) => r.version) },
      ];
      if (results.every((r) => r.prediction.label !== undefined))
        outputs.push({
          name: 'label',
          datatype: 'BYTES',
          shape: [n],
          data: results.map((r) => String(r.prediction.label)),
        });
      if (results.some((r) => r.missing.length > 0))
        // One BYTES element per row: the comma-separated features it was scored without.
        outputs.push({
          name: 'missing_features',
          datatype: 'BYTES',
          shape: [n],
          data: results.map((r) => r.missing.join(',')),
        });
      if (versions.length === 1) void reply.header(VERSION_HEADER, String(versions[0]));
      return {
        model_name: name,
        model_version: versions.map(String).join(','),
        ...(typeof body.id === 'string' ? { id: body.id } : {}),
        outputs,
      };
    } catch (e) {
      return fail(reply, endpoint, name, e);
    }
  });

  app.get('/v2/health/live', () => Promise.resolve({ live: true }));
  app.get('/v2/health/ready', async (_req, reply) => {
    const d = current;
    const ready = d.problems.length === 0 && d.models.size > 0;
    return reply
      .code(ready ? 200 : 503)
      .send({ ready, ...(d.problems.length ? { problems: d.problems } : {}) });
  });
  app.get('/v2/models/:name/ready', async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const m = current.models.get(req.params.name);
    if (!m) return reply.code(404).send({ error: `model ${JSON.stringify(req.params.name)} is not served` });
    return { name: m.name, ready: true };
  });
  app.get('/v2/models/:name', async (req: FastifyRequest<{ Params: { name: string } }>, reply) => {
    const m = current.models.get(req.params.name);
    if (!m) return reply.code(404).send({ error: `model ${JSON.stringify(req.params.name)} is not served` });
    return {
      name: m.name,
      versions: m.weights.map((w) => String(w.version)),
      platform: [...m.versions.values()]
        .map((v) => (v.runtime.constructor.name.includes('Onnx') ? 'onnx' : 'tfjs'))
        .join(','),
      inputs: m.spec.features.map((f) => ({ name: f.ref, datatype: oipType(f.type), shape: [-1] })),
      outputs: [
        { name: 'score', datatype: 'FP64', shape: [-1] },
        { name: 'version', datatype: 'INT32', shape: [-1] },
      ],
      parameters: {
        weights: Object.fromEntries(m.weights.map((w) => [String(w.version), w.weight])),
        rollout: m.rollout,
      },
    };
  });

  app.post('/v1/labels', async (req, reply) => {
    try {
      const body = req.body as Record<string, unknown> | null;
      if (body == null || typeof body !== 'object')
        throw new HttpError(
          400,
          'the body must be a label object or {"labels": [...]}',
          'bad-request',
          'body',
        );
      const raw = Array.isArray(body.labels) ? (body.labels as unknown[]) : [body];
      if (raw.length > maxInstances * 10)
        throw new HttpError(413, `at most ${maxInstances * 10} labels per request`, 'too-large', 'labels');
      const known = current.models;
      const labels: LabelRecord[] = raw.map((x, i) => {
        const p = Array.isArray(body.labels) ? `labels[${i}].` : '';
        const o = (x ?? {}) as Record<string, unknown>;
        if (typeof o.model !== 'string' || !known.has(o.model))
          throw new HttpError(
            typeof o.model === 'string' ? 404 : 400,
            `${p}model ${JSON.stringify(o.model)} is not served`,
            typeof o.model === 'string' ? 'not-found' : 'bad-request',
            `${p}model`,
          );
        const entity = parseEntity(o.entity, `${p}entity`);
        if (!entity || Object.keys(entity).length === 0)
          throw new HttpError(400, `${p}entity is required`, 'bad-request', `${p}entity`);
        if (!isScalar(o.label))
          throw new HttpError(
            400,
            `${p}label must be a number, string or boolean`,
            'bad-request',
            `${p}label`,
          );
        let at = clock().toISOString();
        if (o.at !== undefined) {
          const t = typeof o.at === 'string' ? Date.parse(o.at) : Number.NaN;
          if (!Number.isFinite(t))
            throw new HttpError(400, `${p}at must be an ISO-8601 time`, 'bad-request', `${p}at`);
          at = new Date(t).toISOString();
        }
        return { at, model: o.model, entity, label: o.label };
      });
      if (log) await log.appendLabels(labels);
      return reply.code(202).send({ accepted: labels.length });
    } catch (e) {
      return fail(reply, 'v1-labels', '', e);
    }
  });

  app.get('/metrics', async (_req, reply) => {
    if (log && 'buffered' in log) metrics.logBuffered.set((log as { buffered: number }).buffered);
    return reply.header('content-type', metrics.registry.contentType).send(await metrics.registry.metrics());
  });

  const host = opts.host ?? '127.0.0.1';
  let address: string;
  try {
    address = await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
  } catch (e) {
    clearInterval(poll);
    if (log) await log.close();
    throw new ServeError(`cannot listen on ${host}:${opts.port ?? DEFAULT_PORT}: ${(e as Error).message}`);
  }
  const port = Number(new URL(address).port);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    metrics,
    deployment: () => current,
    reload,
    flushLog: () => (log ? log.flush() : Promise.resolve()),
    close: () =>
      (closing ??= (async () => {
        clearInterval(poll);
        await reloading?.catch(() => undefined);
        await app.close(); // waits for in-flight requests
        if (log) await log.close(); // every logged prediction durable
        await lookup.close();
        for (const m of current.models.values())
          for (const v of m.versions.values()) await v.runtime.dispose();
      })()),
  };
}

function oipType(t: string): string {
  return t === 'int' || t === 'timestamp'
    ? 'INT64'
    : t === 'float'
      ? 'FP64'
      : t === 'bool'
        ? 'BOOL'
        : 'BYTES';
}

/** OIP v2 inputs (one tensor per feature or entity key, batch first) → instances. */
function oipInstances(m: ServedModel, inputs: readonly unknown[], max: number): Instance[] {
  const byName = new Map<string, { kind: 'feature'; ref: string } | { kind: 'entity'; key: string }>();
  const bare = new Map<string, string[]>();
  for (const f of m.spec.features) {
    byName.set(f.ref, { kind: 'feature', ref: f.ref });
    byName.set(f.ref.replace(':', '__'), { kind: 'feature', ref: f.ref });
    bare.set(f.name, [...(bare.get(f.name) ?? []), f.ref]);
  }
  for (const [n, refs] of bare)
    if (refs.length === 1 && !byName.has(n)) byName.set(n, { kind: 'feature', ref: refs[0]! });
  for (const v of m.views.values())
    for (const k of v.entities) if (!byName.has(k)) byName.set(k, { kind: 'entity', key: k });
  let n: number | undefined;
  const columns: { target: NonNullable<ReturnType<typeof byName.get>>; data: unknown[] }[] = [];
  inputs.forEach((x, i) => {
    const field = `inputs[${i}]`;
    const o = (x ?? {}) as Record<string, unknown>;
    if (typeof o.name !== 'string')
      throw new HttpError(400, `${field}.name is required`, 'bad-request', `${field}.name`);
    const target = byName.get(o.name);
    if (!target)
      throw new HttpError(
        400,
        `${field}: unknown input ${JSON.stringify(o.name)}; model ${m.name} takes ${m.spec.features.map((f) => f.ref).join(', ')} and entity keys`,
        'bad-request',
        `${field}.name`,
      );
    if (
      !Array.isArray(o.shape) ||
      o.shape.length === 0 ||
      !o.shape.every((s) => Number.isInteger(s) && (s as number) >= 0)
    )
      throw new HttpError(
        400,
        `${field}.shape must be a list of sizes, batch first`,
        'bad-request',
        `${field}.shape`,
      );
    if (typeof o.datatype !== 'string')
      throw new HttpError(400, `${field}.datatype is required`, 'bad-request', `${field}.datatype`);
    const data = Array.isArray(o.data) ? (o.data.flat(8) as unknown[]) : undefined;
    const rows = o.shape[0] as number;
    const width = (o.shape as number[]).slice(1).reduce((a, b) => a * b, 1);
    if (!data || width !== 1 || data.length !== rows)
      throw new HttpError(
        400,
        `${field}: shape ${JSON.stringify(o.shape)} must be [batch] or [batch, 1] and match ${data?.length ?? 0} data values`,
        'bad-request',
        `${field}.data`,
      );
    if (n !== undefined && rows !== n)
      throw new HttpError(
        400,
        `${field}: batch ${rows} differs from the other inputs' ${n}`,
        'bad-request',
        `${field}.shape`,
      );
    n = rows;
    columns.push({ target, data });
  });
  if (!n) throw new HttpError(400, 'the batch is empty', 'bad-request', 'inputs');
  if (n > max) throw new HttpError(413, `${n} rows in one request; at most ${max}`, 'too-large', 'inputs');
  return Array.from({ length: n }, (_, r) => {
    const features: Record<string, unknown> = {};
    let entity: EntityKey | undefined;
    for (const c of columns) {
      const v = c.data[r];
      if (c.target.kind === 'feature') features[c.target.ref] = v;
      else if (isScalar(v)) (entity ??= {})[c.target.key] = v;
    }
    return { ...(entity ? { entity } : {}), features };
  });
}
