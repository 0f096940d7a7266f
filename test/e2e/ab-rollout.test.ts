import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apply, reconcile } from '../../src/api/index.ts';
import { validate } from '../../src/source/validate.ts';
import type { Model } from '../../src/compiler/desired-state.ts';
import { startForToday } from '../../src/sample/churn-data.ts';
import { startServer, type RunningServer } from '../../src/compose/serve.ts';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';
import { plantVersion, readLocks, storeOnnx } from '../unit/serving/plant.ts';

// An A/B test end to end: two versions served 50/50 by `rudder serve` (sticky by customer),
// delayed labels through POST /v1/labels, and reconcile passes deciding with the mixture SPRT
// until one arm is shown better; the decision is a plan action, applied and committed.
//
// The truth is chosen so the answer is known: a customer churns when their tenure is above the
// median. The challenger is a linear ONNX model that reads exactly that (a steep logistic in
// tenure_months); the champion is the tfjs model trained on the sample labels, which know nothing
// of this rule. On log loss (a per-sample metric, lower is better) the challenger is near
// 0 and the champion far from it, so the test must pick the challenger — and promote it.

const INTERVAL_S = 2;

let repo: string;
let server: RunningServer;
let spec: Model;
let truth: { id: string; label: number }[];
let tenureAt = -1;
let cut = 0;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Latest tenure per customer, as the online table holds it (the profile view keeps the newest row). */
function tenures(): Map<string, number> {
  const lines = readFileSync(join(repo, 'data', 'customer_profile.csv'), 'utf8')
    .trim()
    .split('\n');
  const h = lines[0]!.split(',');
  const [id, at, tenure] = ['customer_id', 'updated_at', 'tenure_months'].map((c) => h.indexOf(c));
  const latest = new Map<string, { at: string; tenure: number }>();
  for (const l of lines.slice(1)) {
    const c = l.split(',');
    const prev = latest.get(c[id!]!);
    if (!prev || c[at!]! > prev.at) latest.set(c[id!]!, { at: c[at!]!, tenure: Number(c[tenure!]) });
  }
  return new Map([...latest].map(([k, v]) => [k, v.tenure]));
}

beforeAll(async () => {
  isolateGitConfig();
  repo = await churnRepo({ epochs: 3, start: startForToday(new Date()) });
  writeFileSync(
    join(repo, 'policies', 'operations', 'churn-rollout.yaml'),
    `apiVersion: rudder.dev/v1alpha1
kind: RolloutPolicy
metadata: { name: churn-ab, owner: growth-ml }
spec:
  model: churn
  strategy:
    type: abTest
    split: 50%
    metric: logloss
    minSamplesPerArm: 60
    significance: { method: msprt, alpha: 0.05, tuning: 400 }
    maxDuration: 1h
  analysis:
    interval: ${INTERVAL_S}s
    minSamples: 20
    metrics:
      - { metric: error_rate, max: 0.05 }
  rollback: { automatic: true, hold: true }
`,
  );
  git(repo, 'commit', '-qam', 'an A/B test on log loss, short intervals for the test');
  const r = await apply({ cwd: repo, actor: 'cli' });
  if (!r.ok) throw new Error(`${r.summary} ${JSON.stringify(r.diagnostics)}`);
  const v = await validate({ cwd: repo, checkPaths: false });
  spec = v.state!.models.find((m) => m.name === 'churn')!;
  server = await startServer({ cwd: repo, port: 0, pollMs: 100 });
}, 180_000);

afterAll(async () => {
  await server?.close();
  cleanupTemp();
});

/**
 * Traffic in batches of 40 customers (predict, then post the label), a flush of the log and a
 * reconcile pass after each, until a pass decides the test (at most 30 passes).
 */
async function trafficUntilDecided() {
  const served = new Map<string, number>();
  const statuses: number[] = [];
  const sendBatch = async (batch: typeof truth): Promise<void> => {
    await Promise.all(
      batch.map(async (c) => {
        const res = await fetch(`${server.url}/v1/models/churn:predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ entity: { customer_id: c.id } }),
        });
        statuses.push(res.status);
        served.set(c.id, Number(res.headers.get('x-rudder-version')));
        await res.arrayBuffer();
        const l = await fetch(`${server.url}/v1/labels`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ model: 'churn', entity: { customer_id: c.id }, label: c.label }),
        });
        expect(l.status).toBe(202);
      }),
    );
  };
  let r: Awaited<ReturnType<typeof apply>> | undefined;
  const passes: string[] = [];
  for (let k = 0, sent = 0; k < 30; k++) {
    await sendBatch(truth.slice(sent, sent + 40));
    sent += 40;
    await server.flushLog();
    r = await reconcile({ cwd: repo, actor: 'reconcile' });
    passes.push(r.summary);
    expect(r.ok, JSON.stringify(r.diagnostics.map((d) => d.message))).toBe(true);
    if (r.outcomes.some((o) => o.type === 'rollout.promote' || o.type === 'rollout.rollback')) break;
    if (sent >= truth.length) sent = 0;
  }
  return { r: r!, passes, served, statuses };
}

async function plantChallenger(version: number, champion: number, sign: 1 | -1): Promise<void> {
  const artifact = await storeOnnx(repo, spec, {
    weights: (w) => Array.from({ length: w }, (_, i) => (i === tenureAt ? 6 * sign : 0)),
    bias: -6 * sign * cut,
  });
  const at = new Date().toISOString();
  await plantVersion(repo, {
    version,
    artifact,
    trainer: { type: 'command', backend: 'command' },
    strategy: 'abTest',
    weights: [
      { version: champion, weight: 0.5 },
      { version, weight: 0.5 },
    ].sort((a, b) => a.version - b.version),
    at,
  });
  git(repo, 'add', 'state');
  git(repo, 'commit', '-qm', `plant challenger v${version} in an A/B test at 50%`);
  const deadline = Date.now() + 20_000;
  while (!server.deployment().models.get('churn')?.versions.has(version) && Date.now() < deadline)
    await sleep(50);
}

describe('an A/B test decides with the sequential test and commits the winner (real HTTP, log, git)', () => {
  test('GIVEN a challenger that is truly better at 50% WHEN labels arrive THEN reconcile promotes it, and says why', async () => {
    const t = tenures();
    const sorted = [...t.values()].sort((a, b) => a - b);
    cut = sorted[Math.floor(sorted.length / 2)]! + 0.5;
    truth = [...t].map(([id, tenure]) => ({ id, label: tenure > cut ? 1 : 0 }));
    expect(truth.filter((c) => c.label === 1).length).toBeGreaterThan(truth.length / 4);
    expect(truth.filter((c) => c.label === 0).length).toBeGreaterThan(truth.length / 4);

    // The ONNX input's column of tenure_months: categories take one-hot columns (two planted
    // vocabulary values and "other"), everything else one.
    spec.features.reduce((col, f) => {
      if (f.ref === 'customer_profile:tenure_months') tenureAt = col;
      return col + (f.type === 'category' || f.type === 'string' ? 3 : 1);
    }, 0);
    expect(tenureAt).toBeGreaterThanOrEqual(0);
    await plantChallenger(2, 1, 1);
    const { r, passes, served, statuses } = await trafficUntilDecided();
    const decided = r.outcomes.find((o) => o.type === 'rollout.promote');
    expect(decided, passes.join('\n')).toBeDefined();
    expect(decided!.status).toBe('done');
    // The plan says why, with the test, both arms and the evidence; the lock and commit keep it.
    const action = r.plan!.actions.find((a) => a.type === 'rollout.promote')!;
    expect(action.reasons.map((x) => x.code)).toEqual(['ab-winner']);
    const evidence =
      /logloss: champion v1 ([\d.]+) \(n=(\d+)\), challenger v2 ([\d.]+) \(n=(\d+)\); msprt p=([\d.e-]+)/;
    const m = evidence.exec(action.reasons[0]!.message);
    expect(m, action.reasons[0]!.message).not.toBeNull();
    expect(Number(m![3])).toBeLessThan(Number(m![1])); // the challenger's loss is lower
    expect(Number(m![5])).toBeLessThan(0.05);
    expect(Number(m![2])).toBeGreaterThanOrEqual(60);
    expect(Number(m![4])).toBeGreaterThanOrEqual(60);
    console.log(`decided after ${passes.length} passes: ${action.reasons[0]!.message}`);

    // Sticky: every customer stayed on one arm, and both arms were used.
    expect(new Set(served.values())).toEqual(new Set([1, 2]));
    expect(statuses.every((s) => s === 200)).toBe(true);

    const { model, rollout } = await readLocks(repo);
    expect(model.versions.find((v) => v.version === 2)!.status).toBe('champion');
    expect(model.versions.find((v) => v.version === 1)!.status).toBe('retired');
    expect(rollout.versions.filter((v) => v.weight > 0)).toEqual([{ version: 2, weight: 1 }]);
    const msg = git(repo, 'log', '-1', '--format=%B');
    expect(msg).toContain('Rudder-Actor: reconcile');
    expect(msg).toContain('Rudder-Action: rollout.promote:churn@v2');
    expect(git(repo, 'status', '--porcelain', 'state')).toBe('');

    // The server follows the commit: all traffic to v2 now.
    const until = Date.now() + 20_000;
    while (server.deployment().models.get('churn')?.versions.has(1) && Date.now() < until) await sleep(50);
    const res = await fetch(`${server.url}/v1/models/churn:predict`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ entity: { customer_id: truth[0]!.id } }),
    });
    expect(res.headers.get('x-rudder-version')).toBe('2');
  }, 300_000);

  test('GIVEN a challenger that is truly worse WHEN labels arrive THEN reconcile rolls it back and holds it', async () => {
    // v2 (the rule) is the champion now; v3 predicts the opposite of the rule.
    await plantChallenger(3, 2, -1);
    const { r } = await trafficUntilDecided();
    const rb = r.outcomes.find((o) => o.type === 'rollout.rollback');
    expect(rb?.status, r.summary).toBe('done');
    const action = r.plan!.actions.find((a) => a.type === 'rollout.rollback')!;
    expect(action.reasons.map((x) => x.code)).toEqual(['ab-loser']);
    expect(action.reasons[0]!.message).toMatch(/logloss: champion v2 [\d.]+ \(n=\d+\), challenger v3 [\d.]+/);
    const { model, rollout } = await readLocks(repo);
    expect(model.versions.find((v) => v.version === 3)!.status).toBe('held');
    expect(model.versions.find((v) => v.version === 2)!.status).toBe('champion');
    expect(rollout.versions.filter((v) => v.weight > 0)).toEqual([{ version: 2, weight: 1 }]);
    expect(git(repo, 'log', '-1', '--format=%B')).toContain('Rudder-Action: rollout.rollback:churn@v3');
    // Held: the next pass leaves it alone.
    const again = await reconcile({ cwd: repo, actor: 'reconcile' });
    expect(again.outcomes.filter((o) => o.type.startsWith('rollout.'))).toEqual([]);
  }, 300_000);

  test('GIVEN an A/B test in progress WHEN a person runs rudder reconcile --abort THEN traffic returns to the champion, the challenger is held, and it is a commit — while requests keep arriving', async () => {
    await plantChallenger(4, 2, 1);
    let stop = false;
    const statuses: number[] = [];
    const traffic = (async () => {
      for (let i = 0; !stop; i++) {
        const c = truth[i % truth.length]!;
        const res = await fetch(`${server.url}/v1/models/churn:predict`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ entity: { customer_id: c.id } }),
        });
        statuses.push(res.status);
        await res.arrayBuffer();
      }
    })();
    await sleep(1500); // rows in the log, and more arriving while the abort plans and applies
    // Asynchronously: the server and the traffic run in this process and must keep going.
    const during = statuses.length;
    const cli = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'rudder.js'), '-C', repo, 'reconcile', '--abort', 'churn'],
      { encoding: 'utf8' },
    ).then(
      (r) => ({ status: 0, stdout: r.stdout, stderr: r.stderr }),
      (e: { code?: number; stdout?: string; stderr?: string }) => ({
        status: e.code ?? 1,
        stdout: e.stdout ?? '',
        stderr: e.stderr ?? '',
      }),
    );
    const answeredDuringAbort = statuses.length - during;
    stop = true;
    await traffic;
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(answeredDuringAbort).toBeGreaterThan(10);
    expect(cli.stdout).toMatch(/Apply complete/);
    const { model, rollout } = await readLocks(repo);
    expect(rollout.status).toBe('aborted');
    expect(model.versions.find((v) => v.version === 4)!.status).toBe('held');
    expect(rollout.versions.filter((v) => v.weight > 0)).toEqual([{ version: 2, weight: 1 }]);
    const msg = git(repo, 'log', '-1', '--format=%B');
    expect(msg).toContain('Rudder-Action: rollout.rollback:churn@v4');
    expect(msg).toContain('Rudder-Actor: cli');
    expect(statuses.length).toBeGreaterThan(20);
    expect(statuses.every((s) => s === 200)).toBe(true);
  }, 300_000);
});
