import { spawn } from 'node:child_process';
import { readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apply, plan, parsePlanFile, renderPlanJson } from '../../src/api/index.ts';
import { acquireApplyLock } from '../../src/state/apply-lock.ts';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { fakeTrainer } from '../helpers/fake-trainer.ts';
import { cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';
import { nodeSha256 } from '../../src/util/node-hash.ts';

const NOW = new Date('2026-07-06T00:00:00Z');
const clock = () => NOW;

beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

describe('plan and apply (real DuckDB, real tfjs, real git)', () => {
  test('slow: plan → apply commits the state → plan again is empty', async () => {
    const repo = await churnRepo({ epochs: 3 });
    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
    expect(p.plan.actions.map((a) => a.type).sort()).toEqual([
      'data.scan',
      'feature.materialize',
      'feature.materialize',
      'model.promote',
      'model.train',
    ]);

    const events: string[] = [];
    const r = await apply({
      cwd: repo,
      plan: p.plan,
      actor: 'cli',
      now: clock,
      onEvent: (e) => events.push(e.type),
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.outcomes.map((o) => o.status)).toEqual(['done', 'done', 'done', 'done', 'done']);
    expect(r.commit?.sha).toMatch(/^[0-9a-f]{40}$/);

    const log = git(repo, 'log', '-1', '--format=%B');
    // Execution order, plain words: training before the promotion it feeds.
    expect(log).toMatch(/^rudder: .*train churn v1 \(new model\), promote churn v1\n/);
    expect(log).toContain(`Rudder-Plan: ${p.plan.digest}`);
    expect(log).toContain('Rudder-Action: model.train:churn@');
    expect(log).toContain('Rudder-Actor: cli');
    expect(git(repo, 'status', '--porcelain')).toBe('');
    const lock = readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8');
    expect(lock).toMatch(/status: champion/);
    expect(lock).toMatch(/backend: tfjs\/(wasm|cpu|tensorflow)/);

    const again = await plan({ cwd: repo, now: NOW });
    expect(again.ok && again.plan.actions).toEqual([]);

    // A forced retrain gates the new candidate against the champion re-scored on the same holdout.
    const forced = await apply({ cwd: repo, retrain: ['churn'], actor: 'ci', now: clock });
    expect(forced.ok).toBe(true);
    // The root policy rolls out by canary: with a champion in place, v2 becomes a challenger (or is rejected).
    const rollout = forced.outcomes.find((o) => o.id.startsWith('rollout.start'))!;
    expect(rollout.status).toBe('done');
    expect(rollout.message).toMatch(/v2 (is a challenger at 10% of traffic|rejected by its gates)/);
    expect(readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8')).toMatch(/beatChampionBy/);
  });

  test('a reviewed plan is refused when a lockfile or the data changed, when edited, or from another repository', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error('plan');
    // The data changes under the reviewed plan.
    writeFileSync(
      join(repo, 'data', 'customer_profile.csv'),
      `${readFileSync(join(repo, 'data', 'customer_profile.csv'), 'utf8')}c999999,2026-01-01T00:00:00Z,3,emea,+1-555-0000000\n`,
    );
    const stale = await apply({ cwd: repo, plan: p.plan, actor: 'cli', now: clock });
    expect(stale.ok).toBe(false);
    expect(stale.diagnostics[0]!.code).toBe('plan/stale');
    expect(stale.diagnostics[0]!.message).toMatch(/observations changed/);
    expect(git(repo, 'status', '--porcelain')).toBe('');

    const text = renderPlanJson(p.plan);
    expect(
      parsePlanFile(text.replace('"model.train"', '"model.retire"'), 'plan.json', nodeSha256).diagnostics[0]!
        .code,
    ).toBe('plan/tampered');
    expect(parsePlanFile(text.slice(0, text.length / 2), 'plan.json', nodeSha256).diagnostics[0]!.code).toBe(
      'plan/malformed',
    );

    const other = await churnRepo({ customers: 120, epochs: 1, project: 'acme-other' });
    const foreign = await apply({ cwd: other, plan: p.plan, actor: 'cli', now: clock });
    expect(foreign.diagnostics[0]!.code).toBe('plan/other-repository');
  });

  test('approval: manual keeps the candidate waiting until --approve names the model', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    const policy = join(repo, 'policies', 'operations', 'churn-retrain.yaml');
    writeFileSync(policy, readFileSync(policy, 'utf8').replace('approval: auto', 'approval: manual'));
    git(repo, 'commit', '-qam', 'manual approval');
    const first = await apply({ cwd: repo, actor: 'cli', now: clock, trainers: { tfjs: fakeTrainer(repo) } });
    expect(first.ok).toBe(true);
    const waiting = first.outcomes.find((o) => o.id.startsWith('model.promote'))!;
    expect(waiting.status).toBe('skipped');
    expect(waiting.message).toBe('awaiting approval: run rudder apply --approve churn');
    expect(readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8')).toMatch(
      /status: candidate/,
    );

    const pending = await plan({ cwd: repo, now: NOW });
    expect(pending.ok && pending.plan.actions.map((a) => [a.type, a.requiresApproval])).toEqual([
      ['model.promote', true],
    ]);
    const approved = await apply({
      cwd: repo,
      actor: 'cli',
      now: clock,
      approve: ['churn'],
      trainers: { tfjs: fakeTrainer(repo) },
    });
    expect(approved.outcomes.map((o) => o.status)).toEqual(['done']);
    expect(readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8')).toMatch(
      /status: champion/,
    );
  });

  test('two applies at once: the second fails at once naming the holder', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    const held = await acquireApplyLock({ root: repo, operation: 'apply (test)', timeoutMs: 0 });
    try {
      const r = await apply({ cwd: repo, actor: 'cli', now: clock });
      expect(r.ok).toBe(false);
      expect(r.diagnostics[0]!.code).toBe('apply/locked');
      expect(r.diagnostics[0]!.message).toMatch(/apply \(test\)/);
    } finally {
      await held.release();
    }
  });

  test('a trainer that crashes fails its action, skips the promotion, and keeps what succeeded', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    const crashing = {
      train: () => Promise.reject(new Error('CUDA out of memory (simulated)')),
      evaluate: () => Promise.reject(new Error('unused')),
    };
    const r = await apply({ cwd: repo, actor: 'cli', now: clock, trainers: { tfjs: crashing } });
    expect(r.ok).toBe(false);
    const byType = Object.fromEntries(r.outcomes.map((o) => [o.id.split(':')[0], o]));
    expect(byType['model.train']!.status).toBe('failed');
    expect(byType['model.train']!.message).toMatch(/CUDA out of memory/);
    expect(byType['model.promote']!.status).toBe('skipped');
    expect(byType['feature.materialize']!.status).toBe('done');
    // What succeeded is committed; the next plan retries only the training.
    expect(git(repo, 'status', '--porcelain')).toBe('');
    const next = await plan({ cwd: repo, now: NOW });
    expect(next.ok && next.plan.actions.map((a) => a.type)).toEqual(['model.promote', 'model.train']);
  });

  test('a write that fails mid-apply leaves a consistent state and a clear message', async () => {
    const repo = await churnRepo({ customers: 120, epochs: 1 });
    // The artifact store cannot be written (as with a full disk): training fails after materializing.
    mkdirSync(join(repo, '.rudder'), { recursive: true });
    writeFileSync(join(repo, '.rudder', 'artifacts'), 'not a directory\n');
    const r = await apply({ cwd: repo, actor: 'cli', now: clock, trainers: { tfjs: fakeTrainer(repo) } });
    expect(r.ok).toBe(false);
    const train = r.outcomes.find((o) => o.id.startsWith('model.train'))!;
    expect(train.status).toBe('failed');
    expect(train.message).toMatch(/ENOTDIR|EEXIST|not a directory/i);
    expect(
      r.outcomes
        .filter((o) => o.status === 'done')
        .map((o) => o.id.split(':')[0])
        .sort(),
    ).toEqual(['data.scan', 'feature.materialize', 'feature.materialize']);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    rmSync(join(repo, '.rudder', 'artifacts'));
    const next = await apply({ cwd: repo, actor: 'cli', now: clock, trainers: { tfjs: fakeTrainer(repo) } });
    expect(next.ok).toBe(true);
    const after = await plan({ cwd: repo, now: NOW });
    expect(after.ok && after.plan.actions).toEqual([]);
  });

  test('slow: a killed apply is noticed, its recorded work committed, and the rest planned again', async () => {
    const repo = await churnRepo({ customers: 400, epochs: 40 });
    const child = spawn(
      process.execPath,
      [join(ROOT, 'bin', 'rudder.js'), '-C', repo, 'apply', '--auto-approve'],
      { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, CI: '1' } },
    );
    let err = '';
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`never reached training: ${err}`)), 60_000);
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        if (err.includes('▸ model.train')) {
          clearTimeout(timer);
          child.kill('SIGKILL');
          resolve();
        }
      });
    });
    await new Promise((r) => child.on('exit', r));
    const notices: string[] = [];
    const r = await apply({
      cwd: repo,
      actor: 'cli',
      now: clock,
      trainers: { tfjs: fakeTrainer(repo) },
      onEvent: (e) => e.type === 'notice' && notices.push(e.message),
    });
    expect(notices.join('\n')).toMatch(/was interrupted after [1-9]\d* action\(s\); planning the rest again/);
    expect(notices.join('\n')).toMatch(/written but not committed/);
    expect(r.ok).toBe(true);
    expect(r.outcomes.map((o) => o.id.split(':')[0]).sort()).toEqual(['model.promote', 'model.train']);
    expect(git(repo, 'log', '--format=%s')).toMatch(
      /record uncommitted state: .*materialize customer_activity/,
    );
    const after = await plan({ cwd: repo, now: NOW });
    expect(after.ok && after.plan.actions).toEqual([]);
  });
});
