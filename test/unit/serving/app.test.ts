import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import type { FastifyInstance } from 'fastify';
import type { FeatureView, Model } from '../../../src/compiler/desired-state.ts';
import type { LabelRecord, PredictionLog, PredictionRecord } from '../../../src/prediction-log/port.ts';
import { buildApp } from '../../../src/serving/app.ts';
import { Deployment, type ServedModel, type ServedVersion } from '../../../src/serving/deployment.ts';
import { ServingMetrics } from '../../../src/serving/metrics.ts';
import type { FeatureLookup } from '../../../src/serving/online-features.ts';
import { predict } from '../../../src/serving/predict.ts';
import { ShadowScorer } from '../../../src/serving/shadow.ts';
import { FeatureValueError } from '../../../src/trainer/tfjs/runtime.ts';
import type { FeatureRow, LoadedModel, Prediction } from '../../../src/trainer/runtime.ts';

// The app without a socket: a fake deployment (one model, two features of one view), a lookup
// answering from a map and a log that keeps what it is given.
const NOW = new Date('2026-07-06T00:00:00Z');

const view = {
  name: 'activity',
  entities: ['customer_id'],
  ttlMs: 86_400_000,
  features: [
    { name: 'sessions', type: 'int' },
    { name: 'plan', type: 'string' },
  ],
} as unknown as FeatureView;

const spec = {
  name: 'churn',
  task: 'binary-classification',
  features: [
    { name: 'sessions', type: 'int', ref: 'activity:sessions', view: 'activity' },
    { name: 'plan', type: 'string', ref: 'activity:plan', view: 'activity' },
  ],
} as unknown as Model;

function runtime(version: number, format: 'tfjs' | 'onnx'): LoadedModel {
  return {
    format,
    model: 'churn',
    version,
    digest: `sha256:${String(version).repeat(64)}`,
    features: spec.features.map((f) => ({ ref: f.ref, type: f.type })),
    predict(rows: readonly FeatureRow[]): Promise<Prediction[]> {
      return Promise.resolve(
        rows.map((r) => {
          const s = r['activity:sessions'];
          if (typeof s === 'string') throw new FeatureValueError('activity:sessions', `not a number: ${s}`);
          if (s === 666) throw new Error('the model broke');
          const score = s == null ? 0.5 : 1 / (1 + Number(s));
          return { score, label: score >= 0.5 ? 1 : 0 };
        }),
      );
    },
    dispose: () => undefined,
  };
}

function deployment(): Deployment {
  const version = (v: number, format: 'tfjs' | 'onnx'): ServedVersion => ({
    version: v,
    weight: v === 1 ? 1 : 0,
    digest: `sha256:${String(v).repeat(64)}`,
    status: v === 1 ? 'champion' : 'challenger',
    runtime: runtime(v, format),
  });
  const m: ServedModel = {
    name: 'churn',
    spec,
    views: new Map([['activity', view]]),
    versions: new Map([
      [1, version(1, 'tfjs')],
      [2, version(2, 'onnx')],
    ]),
    weights: [
      { version: 1, weight: 1 },
      { version: 2, weight: 0 },
    ],
    rollout: { status: 'progressing', step: 0, strategy: 'canary' },
  };
  return new Deployment(new Map([['churn', m]]), [], 'key', 'features', [view]);
}

const table: Record<string, Record<string, number | string>> = {
  c1: { sessions: 3, plan: 'pro' },
};
const lookup: FeatureLookup = {
  lookup: (_view, entities) =>
    Promise.resolve(
      entities.map((e) => {
        const hit = table[String(e.customer_id)];
        return { values: hit ?? {}, eventTime: hit ? NOW.toISOString() : null };
      }),
    ),
  close: () => Promise.resolve(),
};

const logged: PredictionRecord[] = [];
const labels: LabelRecord[] = [];
const log = {
  buffered: 7,
  append: (r: readonly PredictionRecord[]) => Promise.resolve(void logged.push(...r)),
  appendLabels: (l: readonly LabelRecord[]) => Promise.resolve(void labels.push(...l)),
  readPredictions: () => Promise.resolve([]),
  readLabels: () => Promise.resolve([]),
  flush: () => Promise.resolve(),
  close: () => Promise.resolve(),
} satisfies PredictionLog;

const metrics = new ServingMetrics();
const d = deployment();
let app: FastifyInstance;

beforeAll(async () => {
  app = buildApp({
    deployment: () => d,
    lookup,
    log,
    metrics,
    clock: () => NOW,
    say: () => undefined,
    bodyLimit: 4096,
    maxInstances: 3,
  });
  await app.ready();
});

afterAll(() => app.close());

const post = (url: string, payload: unknown, headers: Record<string, string> = {}) =>
  app.inject({ method: 'POST', url, payload: payload as object, headers });

describe('v1 predict', () => {
  test('one instance: features from the lookup, the version in the header, the row logged', async () => {
    const before = logged.length;
    const res = await post('/v1/models/churn:predict', { entity: { customer_id: 'c1' } });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-rudder-version']).toBe('1');
    const body = res.json<Record<string, unknown>>();
    expect(body).toEqual({
      model: 'churn',
      requestId: expect.any(String),
      version: 1,
      score: 0.25,
      label: 0,
    });
    expect(logged.slice(before)).toMatchObject([
      {
        model: 'churn',
        version: 1,
        score: 0.25,
        features: { 'activity:sessions': 3, 'activity:plan': 'pro' },
      },
    ]);
  });

  test('a batch keeps every field, missingFeatures included, in order', async () => {
    const res = await post('/v1/models/churn:predict', {
      instances: [
        { entity: { customer_id: 'nobody' } },
        { features: { 'activity:sessions': 1, 'activity:plan': 'x' } },
      ],
    });
    expect(res.statusCode).toBe(200);
    const body = res.json<{ model: string; predictions: Record<string, unknown>[] }>();
    expect(body.model).toBe('churn');
    expect(body.predictions[0]).toMatchObject({
      version: 1,
      score: 0.5,
      label: 1,
      missingFeatures: ['activity:sessions', 'activity:plan'],
    });
    expect(body.predictions[1]).toMatchObject({ score: 0.5 });
    expect(body.predictions[1]).not.toHaveProperty('missingFeatures');
  });

  test.each([
    [
      { entity: { customer_id: 'c1' }, extra: 1 },
      400,
      'unknown field extra (expected entity, features)',
      'extra',
    ],
    [
      [1],
      400,
      'the body must be a JSON object: {"entity": {...}, "features"?: {...}} or {"instances": [...]}',
      'body',
    ],
    [{ instances: [] }, 400, 'instances must be a non-empty array', 'instances'],
    [{ instances: [5] }, 400, 'instances[0] must be an object', 'instances[0]'],
    [{ entity: 'c1' }, 400, 'entity must be an object of entity key values', 'entity'],
    [
      { instances: [{ entity: { customer_id: { a: 1 } } }] },
      400,
      'instances[0].entity.customer_id must be a string, number or boolean',
      'instances[0].entity.customer_id',
    ],
    [{ features: [] }, 400, 'features must be an object of feature values by ref (view:feature)', 'features'],
    [
      { entity: { customer_id: 'c1' }, features: { 'activity:plan': [1] } },
      400,
      'features.activity:plan must be a string, number, boolean or null',
      'features.activity:plan',
    ],
    [{ instances: [{}, {}, {}, {}] }, 413, '4 instances in one request; at most 3', 'instances'],
  ])('body schema: %j → %d', async (body, status, error, field) => {
    const res = await post('/v1/models/churn:predict', body);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error, field });
  });

  test('semantic errors keep their status and field', async () => {
    const cases: [unknown, Record<string, string>, number, string][] = [
      [{ features: {} }, {}, 400, 'entity'],
      [{ entity: { customer_id: 'c1' }, features: { 'a:b': 1 } }, {}, 400, 'features.a:b'],
      [
        { entity: { customer_id: 'c1' }, features: { 'activity:sessions': 'many' } },
        {},
        400,
        'features.activity:sessions',
      ],
      [{ entity: { customer_id: 'c1' } }, { 'x-rudder-version': '9' }, 404, 'header.x-rudder-version'],
    ];
    for (const [body, headers, status, field] of cases) {
      const res = await post('/v1/models/churn:predict', body, headers);
      expect(res.statusCode, JSON.stringify(body)).toBe(status);
      expect(res.json()).toMatchObject({ field });
    }
    const unknown = await post('/v1/models/nope:predict', { entity: { customer_id: 'c1' } });
    expect(unknown.statusCode).toBe(404);
    expect(unknown.json()).toEqual({ error: 'model "nope" is not served (served: churn)', field: 'model' });
    const path = await post('/v1/models/churn:explain', { not: 'validated' });
    expect(path.statusCode).toBe(404);
    expect(path.json()).toMatchObject({ field: 'path' });
  });

  test('a model failure is a 500 of that version, logged as its error', async () => {
    const res = await post(
      '/v1/models/churn:predict',
      { entity: { customer_id: 'c1' }, features: { 'activity:sessions': 666 } },
      { 'x-rudder-version': '2' },
    );
    expect(res.statusCode).toBe(500);
    expect(res.headers['x-rudder-version']).toBe('2');
    expect(res.json()).toEqual({ error: 'model churn v2 failed: the model broke' });
    expect(logged.at(-1)).toMatchObject({ version: 2, score: null, error: 'the model broke' });
  });

  test('Fastify-level errors: malformed JSON 400, body over the limit 413, wrong media type', async () => {
    const malformed = await post('/v1/models/churn:predict', '{"entity": ', {
      'content-type': 'application/json',
    });
    expect(malformed.statusCode).toBe(400);
    expect(malformed.json()).toMatchObject({
      field: 'body',
      error: expect.stringMatching(/^malformed request body: /),
    });
    const big = await post('/v1/models/churn:predict', { entity: { customer_id: 'x'.repeat(5000) } });
    expect(big.statusCode).toBe(413);
    expect(big.json()).toEqual({ error: 'the request body is larger than 4096 bytes', field: 'body' });
    const text = await post('/v1/models/churn:predict', '<x/>', { 'content-type': 'application/xml' });
    expect(text.statusCode).toBe(415);
    expect(text.json()).toEqual({ error: 'send the body as application/json', field: 'body' });
  });
});

describe('predict without HTTP', () => {
  test('routes by the pinned version and records one row per instance', async () => {
    const rows: PredictionRecord[] = [];
    const results = await predict(
      { lookup, metrics: new ServingMetrics(), clock: () => NOW, record: (r) => rows.push(...r) },
      {
        deployment: d,
        model: 'churn',
        instances: [
          { entity: { customer_id: 'c1' }, features: {} },
          { features: { 'activity:sessions': 0, 'activity:plan': 'a' } },
        ],
        pinned: '2',
        started: performance.now(),
        fieldPrefix: () => '',
      },
    );
    expect(results.map((r) => [r.version, r.prediction.score])).toEqual([
      [2, 0.25],
      [2, 1],
    ]);
    expect(rows.map((r) => r.requestId)).toEqual(results.map((r) => r.requestId));
  });
});

const nextTurn = () => new Promise((r) => setImmediate(r));

describe('shadow scoring during a canary', () => {
  test("a challenger's row is logged with the champion's score on the same features, which never reaches the caller", async () => {
    const before = logged.length;
    const res = await post(
      '/v1/models/churn:predict',
      {
        instances: [
          { entity: { customer_id: 'c1' } },
          { features: { 'activity:sessions': 1, 'activity:plan': 'a' } },
        ],
      },
      { 'x-rudder-version': '2' },
    );
    expect(res.statusCode).toBe(200);
    expect(res.body).not.toMatch(/shadow/);
    expect(Object.keys(res.json<{ predictions: object[] }>().predictions[0]!).sort()).toEqual([
      'label',
      'requestId',
      'score',
      'version',
    ]);
    // Logged once the champion scored the rows, after the response.
    for (let k = 0; k < 5 && logged.length - before < 2; k++) await nextTurn();
    expect(logged.slice(before).map((r) => [r.version, r.score, r.shadow])).toEqual([
      [2, 0.25, { version: 1, score: 0.25 }],
      [2, 0.5, { version: 1, score: 0.5 }],
    ]);
    // The champion's own rows carry none.
    const b2 = logged.length;
    await post('/v1/models/churn:predict', { entity: { customer_id: 'c1' } });
    await nextTurn();
    expect(logged.slice(b2).map((r) => [r.version, r.shadow])).toEqual([[1, undefined]]);
    const text = (await app.inject({ method: 'GET', url: '/metrics' })).body;
    expect(text).toMatch(/rudder_shadow_duration_seconds_count\{model="churn",version="1"\} [1-9]/);
    expect(text).toMatch(/rudder_shadow_rows_total\{model="churn",result="scored"\} 2/);
  });

  test('no shadow outside a progressing canary, and none when the queue is full (logged at once, counted)', async () => {
    const m = d.models.get('churn')!;
    const run = async (dep: Deployment, shadow: ShadowScorer, rows: PredictionRecord[]) => {
      await predict(
        { lookup, metrics: new ServingMetrics(), clock: () => NOW, record: (r) => rows.push(...r), shadow },
        {
          deployment: dep,
          model: 'churn',
          instances: [{ entity: { customer_id: 'c1' }, features: {} }],
          pinned: '2',
          started: performance.now(),
          fieldPrefix: () => '',
        },
      );
    };
    const ab = new Deployment(
      new Map([['churn', { ...m, rollout: { ...m.rollout, strategy: 'abTest' as const } }]]),
      [],
      'k',
      'f',
      [view],
    );
    const rows: PredictionRecord[] = [];
    const sm = new ServingMetrics();
    await run(ab, new ShadowScorer({ metrics: sm, record: (r) => rows.push(...r) }), rows);
    expect(rows.map((r) => r.shadow)).toEqual([undefined]); // synchronously, no shadow
    const full: PredictionRecord[] = [];
    await run(d, new ShadowScorer({ metrics: sm, record: (r) => full.push(...r), maxPending: 0 }), full);
    expect(full.map((r) => [r.version, r.shadow])).toEqual([[2, undefined]]);
    expect(await sm.registry.getSingleMetricAsString('rudder_shadow_rows_total')).toMatch(
      /result="skipped"\} 1/,
    );
  });
});

describe('OIP v2', () => {
  test('infer: tensors in, score/version/label tensors out, the id echoed', async () => {
    const res = await post('/v2/models/churn/infer', {
      id: 'req-1',
      inputs: [
        { name: 'sessions', shape: [2], datatype: 'INT64', data: [1, 3] },
        { name: 'activity__plan', shape: [2, 1], datatype: 'BYTES', data: [['a'], ['b']] },
      ],
    });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      model_name: 'churn',
      model_version: '1',
      id: 'req-1',
      outputs: [
        { name: 'score', datatype: 'FP64', shape: [2], data: [0.5, 0.25] },
        { name: 'version', datatype: 'INT32', shape: [2], data: [1, 1] },
        { name: 'label', datatype: 'BYTES', shape: [2], data: ['1', '0'] },
      ],
    });
  });

  test.each([
    [{}, 'inputs is required', 'inputs'],
    [
      { inputs: [{ name: 'sessions', shape: [], datatype: 'INT64', data: [] }] },
      'inputs[0].shape must be a list of sizes, batch first',
      'inputs[0].shape',
    ],
    [{ inputs: [] }, 'inputs must be a non-empty array of input tensors', 'inputs'],
    [
      { inputs: [{ shape: [1], datatype: 'INT64', data: [1] }] },
      'inputs[0].name is required',
      'inputs[0].name',
    ],
    [
      { inputs: [{ name: 'sessions', shape: [-1], datatype: 'INT64', data: [1] }] },
      'inputs[0].shape[0] must be a size (an integer, 0 or more)',
      'inputs[0].shape[0]',
    ],
  ])('infer body schema: %j', async (body, error, field) => {
    const res = await post('/v2/models/churn/infer', body);
    expect(res.statusCode).toBe(400);
    expect(res.json()).toEqual({ error, field });
  });

  test('infer: a shape that does not match the data names inputs[i].data', async () => {
    const res = await post('/v2/models/churn/infer', {
      inputs: [{ name: 'plan', shape: [2], datatype: 'BYTES', data: ['a'] }],
    });
    expect(res.statusCode).toBe(400);
    expect(res.json()).toMatchObject({ field: 'inputs[0].data' });
  });

  test('metadata: each version’s runtime format as the platform, weights and rollout', async () => {
    const res = await app.inject('/v2/models/churn');
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      name: 'churn',
      versions: ['1', '2'],
      platform: 'tfjs,onnx',
      inputs: [
        { name: 'activity:sessions', datatype: 'INT64', shape: [-1] },
        { name: 'activity:plan', datatype: 'BYTES', shape: [-1] },
      ],
      outputs: [
        { name: 'score', datatype: 'FP64', shape: [-1] },
        { name: 'version', datatype: 'INT32', shape: [-1] },
      ],
      parameters: {
        weights: { '1': 1, '2': 0 },
        rollout: { status: 'progressing', step: 0, strategy: 'canary' },
      },
    });
    expect((await app.inject('/v2/models/nope')).json()).toEqual({ error: 'model "nope" is not served' });
    expect((await app.inject('/v2/models/churn/ready')).json()).toEqual({ name: 'churn', ready: true });
    expect((await app.inject('/v2/models/nope/ready')).statusCode).toBe(404);
  });
});

describe('labels', () => {
  test('one label or a batch: 202 with the count, stored with the time', async () => {
    const res = await post('/v1/labels', { model: 'churn', entity: { customer_id: 'c1' }, label: 1 });
    expect(res.statusCode).toBe(202);
    expect(res.json()).toEqual({ accepted: 1 });
    expect(labels.at(-1)).toEqual({
      at: NOW.toISOString(),
      model: 'churn',
      entity: { customer_id: 'c1' },
      label: 1,
    });
    const batch = await post('/v1/labels', {
      labels: [{ model: 'churn', entity: { customer_id: 'c2' }, label: 0, at: '2026-07-01T00:00:00Z' }],
    });
    expect(batch.json()).toEqual({ accepted: 1 });
  });

  test.each([
    [
      { model: 'churn', entity: { customer_id: 'x' }, label: { a: 1 } },
      400,
      'label must be a string, number or boolean',
      'label',
    ],
    [{ model: 'churn', entity: {}, label: 1 }, 400, 'entity is required', 'entity'],
    [{ labels: [{ model: 'churn', label: 1 }] }, 400, 'labels[0].entity is required', 'labels[0].entity'],
    [
      { model: 'churn', entity: { customer_id: 'x' }, label: 1, at: 'yesterday' },
      400,
      'at must be an ISO-8601 time',
      'at',
    ],
    [{ model: 'nope', entity: { customer_id: 'x' }, label: 1 }, 404, 'model "nope" is not served', 'model'],
  ])('%j → %d', async (body, status, error, field) => {
    const res = await post('/v1/labels', body);
    expect(res.statusCode).toBe(status);
    expect(res.json()).toEqual({ error, field });
  });
});

describe('health and metrics', () => {
  test('live, ready', async () => {
    expect((await app.inject('/v2/health/live')).json()).toEqual({ live: true });
    const ready = await app.inject('/v2/health/ready');
    expect(ready.statusCode).toBe(200);
    expect(ready.json()).toEqual({ ready: true });
  });

  test('not ready: 503 with the problems', async () => {
    const broken = new Deployment(
      new Map(),
      [{ model: 'churn', version: 3, message: 'v3 could not be loaded' }],
      'k',
      'f',
      [],
    );
    const other = buildApp({
      deployment: () => broken,
      lookup,
      metrics: new ServingMetrics(),
      clock: () => NOW,
      say: () => undefined,
      bodyLimit: 4096,
      maxInstances: 3,
    });
    const res = await other.inject('/v2/health/ready');
    expect(res.statusCode).toBe(503);
    expect(res.json()).toEqual({
      ready: false,
      problems: [{ model: 'churn', version: 3, message: 'v3 could not be loaded' }],
    });
    await other.close();
  });

  test('/metrics: requests and errors by endpoint, the log backlog the log declares', async () => {
    const res = await app.inject('/metrics');
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    expect(res.body).toMatch(
      /rudder_requests_total\{model="churn",version="1",endpoint="v1-predict",code="200"\} \d+/,
    );
    expect(res.body).toMatch(
      /rudder_requests_total\{model="churn",version="",endpoint="v1-predict",code="400"\} \d+/,
    );
    expect(res.body).toMatch(/rudder_errors_total\{model="churn",version="2",kind="model"\} 1/);
    expect(res.body).toMatch(
      /rudder_requests_total\{model="",version="",endpoint="v1-labels",code="404"\} 1/,
    );
    expect(res.body).toMatch(/rudder_prediction_log_buffered 7/);
  });
});
