import { spawn } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test, vi } from 'vitest';
import { apply } from '../../src/api/index.ts';
import { ParquetPredictionLog } from '../../src/prediction-log/parquet-log.ts';
import { startServer, type RunningServer } from '../../src/compose/serve.ts';
import { validate } from '../../src/source/validate.ts';
import { churnRepo } from '../helpers/churn-repo.ts';
import { cleanupTemp, isolateGitConfig } from '../helpers/temp-repo.ts';
import { activeFirst, plantVersion, readLocks, sampleLabels, storeOnnx } from '../unit/serving/plant.ts';

const NOW = new Date('2026-07-06T00:00:00Z');
const clock = () => NOW;

let repo: string;
let server: RunningServer;
let ids: { id: string; label: number }[];
const BIN = join(import.meta.dirname, '../../bin/rudder.js');
const messages: string[] = [];
const warnings: string[] = [];

const post = (path: string, body: unknown, headers: Record<string, string> = {}) =>
  fetch(`${server.url}${path}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });

beforeAll(async () => {
  isolateGitConfig();
  vi.spyOn(console, 'warn').mockImplementation((...args: unknown[]) => void warnings.push(args.join(' ')));
  repo = await churnRepo({ epochs: 3 });
  const r = await apply({ cwd: repo, actor: 'cli', now: clock });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  ids = activeFirst(sampleLabels(repo), NOW);
  server = await startServer({
    cwd: repo,
    port: 0,
    clock,
    pollMs: 100,
    onMessage: (line) => messages.push(line),
  });
}, 120_000);

afterAll(async () => {
  await server?.close();
  cleanupTemp();
});

describe('rudder serve (real HTTP on 127.0.0.1, real tfjs model, real online table)', () => {
  test('says how many entities each view serves (two views of the same customers are not twice as many)', async () => {
    const online = messages.find((m) => m.startsWith('online features:'));
    const customers = new Set(
      readFileSync(join(repo, 'data', 'customer_profile.csv'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((l) => l.split(',')[0]),
    ).size;
    expect(online).toMatch(/customer_activity \d+ entities/);
    expect(online).toMatch(/customer_profile \d+ entities/);
    const profile = Number(/customer_profile (\d+)/.exec(online!)![1]);
    expect(profile).toBeGreaterThan(0);
    expect(profile).toBeLessThanOrEqual(customers);
  });

  test('no TensorFlow.js banner: training and serving never print tfjs-node advice', async () => {
    expect(warnings.filter((w) => w.includes('TensorFlow.js in Node.js'))).toEqual([]);
    // The banner comes from tfjs's CPU backend on first use, which a fresh `rudder serve`
    // process reaches when it scores (this process trained on wasm first): ask one.
    const child = spawn(process.execPath, [BIN, 'serve', '--port', '0', '--no-log'], { cwd: repo });
    let stderr = '';
    child.stderr.on('data', (b: Buffer) => (stderr += b.toString()));
    try {
      const url = await new Promise<string>((ok, fail) => {
        const t = setTimeout(() => fail(new Error(`rudder serve did not start: ${stderr}`)), 60_000);
        child.stderr.on('data', () => {
          const m = /listening on (http:\/\/[^ ]+)/.exec(stderr);
          if (m) {
            clearTimeout(t);
            ok(m[1]!);
          }
        });
      });
      const res = await fetch(`${url}/v1/models/churn:predict`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ entity: { customer_id: ids[0]!.id } }),
      });
      expect(res.status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((ok) => child.once('exit', ok));
    }
    expect(stderr).toMatch(/listening on/);
    expect(stderr).not.toMatch(/TensorFlow\.js in Node\.js/);
  }, 90_000);

  test('binds 127.0.0.1 and is live and ready', async () => {
    expect(server.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect((await fetch(`${server.url}/v2/health/live`)).status).toBe(200);
    const ready = await fetch(`${server.url}/v2/health/ready`);
    expect(ready.status).toBe(200);
    expect(await (await fetch(`${server.url}/v2/models/churn/ready`)).json()).toEqual({
      name: 'churn',
      ready: true,
    });
    expect((await fetch(`${server.url}/v2/models/nope/ready`)).status).toBe(404);
  });

  test('the tfjs version is served by the plain-JS forward pass, which agreed with tfjs at load', () => {
    const v1 = server.deployment().models.get('churn')!.versions.get(1)!;
    expect((v1.runtime as { fast?: unknown }).fast).toBeDefined();
  });

  test('v1 predict looks features up in the online table by entity key', async () => {
    const res = await post('/v1/models/churn:predict', { entity: { customer_id: ids[0]!.id } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { version: number; score: number; label: number };
    expect(body.version).toBe(1);
    expect(res.headers.get('x-rudder-version')).toBe('1');
    expect(body.score).toBeGreaterThan(0);
    expect(body.score).toBeLessThan(1);
    expect([0, 1]).toContain(body.label);
    // Supplying the same features by hand gives the same score: training/serving consistency.
    const many = await post('/v1/models/churn:predict', {
      instances: [{ entity: { customer_id: ids[0]!.id } }, { entity: { customer_id: ids[1]!.id } }],
    });
    const b2 = (await many.json()) as { predictions: { score: number }[] };
    expect(b2.predictions).toHaveLength(2);
    expect(b2.predictions[0]!.score).toBeCloseTo(body.score, 6);
  });

  test('a score made without features says which: an entity the online table does not know', async () => {
    const known = (await (
      await post('/v1/models/churn:predict', { entity: { customer_id: ids[0]!.id } })
    ).json()) as { missingFeatures?: string[] };
    expect(known.missingFeatures).toBeUndefined();
    const res = await post('/v1/models/churn:predict', { entity: { customer_id: 'c-nobody' } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { score: number; missingFeatures?: string[] };
    expect(body.missingFeatures).toEqual([
      'customer_activity:days_since_login',
      'customer_activity:plan',
      'customer_activity:sessions_7d',
      'customer_activity:spend_30d',
      'customer_activity:support_tickets_30d',
      'customer_profile:region',
      'customer_profile:tenure_months',
    ]);
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /rudder_missing_features_total\{model="churn",version="1",feature="customer_profile:region"\} [1-9]/,
    );
  });

  test('OIP v2 infer with features supplied as tensors', async () => {
    const res = await post('/v2/models/churn/infer', {
      id: 'req-1',
      inputs: [
        { name: 'customer_activity:sessions_7d', shape: [2], datatype: 'INT64', data: [3, 30] },
        { name: 'spend_30d', shape: [2, 1], datatype: 'FP64', data: [[10.5], [300]] },
        { name: 'plan', shape: [2], datatype: 'BYTES', data: ['basic', 'pro'] },
        { name: 'support_tickets_30d', shape: [2], datatype: 'INT64', data: [4, 0] },
        { name: 'days_since_login', shape: [2], datatype: 'INT64', data: [20, 1] },
        { name: 'tenure_months', shape: [2], datatype: 'INT64', data: [2, 40] },
        { name: 'region', shape: [2], datatype: 'BYTES', data: ['eu', 'us'] },
      ],
    });
    expect(res.status).toBe(200);
    const body = (await res.json()) as {
      model_name: string;
      id: string;
      outputs: { name: string; data: number[] }[];
    };
    expect(body.model_name).toBe('churn');
    expect(body.id).toBe('req-1');
    const score = body.outputs.find((o) => o.name === 'score')!;
    expect(score.data).toHaveLength(2);
    expect(score.data[0]).not.toBe(score.data[1]);
  });

  test('bad input: 404 unknown model, 400 naming the field, 413 too large — each counted', async () => {
    const unknown = await post('/v1/models/nope:predict', { entity: { customer_id: 'x' } });
    expect(unknown.status).toBe(404);
    expect(((await unknown.json()) as { error: string }).error).toMatch(/not served \(served: churn\)/);

    const malformed = await post('/v1/models/churn:predict', '{"entity": ');
    expect(malformed.status).toBe(400);

    const wrongType = await post('/v1/models/churn:predict', {
      entity: { customer_id: ids[0]!.id },
      features: { 'customer_activity:sessions_7d': 'many' },
    });
    expect(wrongType.status).toBe(400);
    expect(await wrongType.json()).toMatchObject({ field: 'features.customer_activity:sessions_7d' });

    const unknownFeature = await post('/v1/models/churn:predict', {
      entity: { customer_id: 'x' },
      features: { 'a:b': 1 },
    });
    expect(unknownFeature.status).toBe(400);
    expect(await unknownFeature.json()).toMatchObject({ field: 'features.a:b' });

    const noEntity = await post('/v1/models/churn:predict', { features: {} });
    expect(noEntity.status).toBe(400);
    expect(await noEntity.json()).toMatchObject({ field: 'entity' });

    const big = await post('/v1/models/churn:predict', {
      entity: { customer_id: 'x'.repeat(2 * 1024 * 1024) },
    });
    expect(big.status).toBe(413);

    const oipBad = await post('/v2/models/churn/infer', {
      inputs: [{ name: 'plan', shape: [2], datatype: 'BYTES', data: ['a'] }],
    });
    expect(oipBad.status).toBe(400);
    expect(await oipBad.json()).toMatchObject({ field: 'inputs[0].data' });

    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    expect(metrics).toMatch(/rudder_errors_total\{model="nope",version="",kind="not-found"\} 1/);
    expect(metrics).toMatch(/rudder_errors_total\{model="churn",version="",kind="bad-request"\} \d/);
    expect(metrics).toMatch(/rudder_errors_total\{model="",version="",kind="too-large"\} 1|kind="too-large"/);
  });

  test('/metrics: requests, latency histogram, scores and traffic weights per model and version', async () => {
    const text = await (await fetch(`${server.url}/metrics`)).text();
    expect(text).toMatch(
      /rudder_requests_total\{model="churn",version="1",endpoint="v1-predict",code="200"\} \d+/,
    );
    expect(text).toMatch(
      /rudder_request_duration_seconds_bucket\{le="0.005",model="churn",version="1"\} \d+/,
    );
    expect(text).toMatch(/rudder_prediction_score_count\{model="churn",version="1"\} \d+/);
    expect(text).toMatch(/rudder_traffic_weight\{model="churn",version="1"\} 1/);
  });

  test('delayed labels are accepted and validated', async () => {
    const ok = await post('/v1/labels', {
      labels: [{ model: 'churn', entity: { customer_id: ids[0]!.id }, label: 1 }],
    });
    expect(ok.status).toBe(202);
    const bad = await post('/v1/labels', { model: 'churn', entity: { customer_id: 'x' }, label: { a: 1 } });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ field: 'label' });
  });

  test('hot reload under load: a new version at 50% is loaded, verified and swapped with no failed request', async () => {
    const { model } = await readLocks(repo);
    let stop = false;
    const statuses: number[] = [];
    const seen = new Set<string>();
    const loader = async (k: number): Promise<void> => {
      for (let i = k; !stop; i += 4) {
        const res = await post('/v1/models/churn:predict', {
          entity: { customer_id: ids[i % ids.length]!.id },
        });
        statuses.push(res.status);
        seen.add(res.headers.get('x-rudder-version') ?? '?');
        await res.arrayBuffer();
      }
    };
    const loaders = [0, 1, 2, 3].map(loader);
    await new Promise((r) => setTimeout(r, 300));
    const v = await validate({ cwd: repo, checkPaths: false });
    const spec = v.state!.models.find((m) => m.name === 'churn')!;
    const artifact = await storeOnnx(repo, spec, { bias: 0.3 });
    await plantVersion(repo, {
      version: 2,
      artifact,
      trainer: { type: 'command', backend: 'command' },
      weights: [
        { version: 1, weight: 0.5 },
        { version: 2, weight: 0.5 },
      ],
      at: NOW.toISOString(),
    });
    const deadline = Date.now() + 20_000;
    while (!seen.has('2') && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 300));
    stop = true;
    await Promise.all(loaders);
    expect(model.versions).toHaveLength(1);
    expect(seen).toContain('2');
    expect(statuses.length).toBeGreaterThan(50);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    // Sticky: the same customer gets the same version while the weights stay.
    const a = await post('/v1/models/churn:predict', { entity: { customer_id: ids[5]!.id } });
    const b = await post('/v1/models/churn:predict', { entity: { customer_id: ids[5]!.id } });
    expect(a.headers.get('x-rudder-version')).toBe(b.headers.get('x-rudder-version'));
    // A header pins a version for testing.
    const pinned = await post(
      '/v1/models/churn:predict',
      { entity: { customer_id: ids[5]!.id } },
      { 'x-rudder-version': '2' },
    );
    expect(pinned.headers.get('x-rudder-version')).toBe('2');
    expect(((await pinned.json()) as { score: number }).score).toBeCloseTo(1 / (1 + Math.exp(-0.3)), 5);
    const none = await post(
      '/v1/models/churn:predict',
      { entity: { customer_id: ids[5]!.id } },
      { 'x-rudder-version': '9' },
    );
    expect(none.status).toBe(404);
  });

  test('a version whose artifact fails verification is not swapped in: the previous one keeps serving', async () => {
    const before = server.deployment();
    await plantVersion(repo, {
      version: 3,
      artifact: { digest: `sha256:${'e'.repeat(64)}`, uri: `artifact://sha256/${'e'.repeat(64)}?tree` },
      weights: [
        { version: 1, weight: 0.5 },
        { version: 2, weight: 0.4 },
        { version: 3, weight: 0.1 },
      ],
      at: NOW.toISOString(),
    });
    const r = await server.reload();
    expect(r.result).toBe('swapped');
    const d = server.deployment();
    expect(d.problems[0]!.message).toMatch(/v3 .* could not be loaded/);
    expect(d.models.get('churn')).toBe(before.models.get('churn'));
    expect((await fetch(`${server.url}/v2/health/ready`)).status).toBe(503);
    const res = await post('/v1/models/churn:predict', { entity: { customer_id: ids[0]!.id } });
    expect(res.status).toBe(200);
  });

  test('close() flushes the prediction log: every answered prediction is in the Parquet files', async () => {
    const metrics = await (await fetch(`${server.url}/metrics`)).text();
    const answered = [
      ...metrics.matchAll(/rudder_prediction_score_count\{model="churn",version="\d"\} (\d+)/g),
    ].reduce((s, m) => s + Number(m[1]), 0);
    await server.close();
    const dir = join(repo, '.rudder', 'predictions');
    expect(readdirSync(join(dir, 'predictions', 'model=churn')).length).toBeGreaterThan(0);
    const log = new ParquetPredictionLog({ dir });
    const rows = await log.readPredictions({ model: 'churn', from: new Date(0), to: new Date('2100-01-01') });
    const labels = await log.readLabels({ model: 'churn', from: new Date(0), to: new Date('2100-01-01') });
    await log.close();
    expect(rows.filter((r) => r.score != null).length).toBe(answered);
    expect(rows[0]!.features).toHaveProperty('customer_activity:spend_30d');
    expect(labels).toHaveLength(1);
  });
});
