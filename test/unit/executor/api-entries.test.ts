// The api.ts entries the CLI uses beyond plan/apply: explain, dataset, data scan/list, unlock,
// reconcile. Real DuckDB, real git, the shared fake trainer.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import * as api from '../../../src/api/index.ts';
import { acquireApplyLock } from '../../../src/state/apply-lock.ts';
import { churnRepo } from '../../helpers/churn-repo.ts';
import { fakeTrainer } from '../../helpers/fake-trainer.ts';
import { cleanupTemp, git, isolateGitConfig } from '../../helpers/temp-repo.ts';

const NOW = new Date('2026-07-06T00:00:00Z');
let repo: string;

beforeAll(async () => {
  isolateGitConfig();
  repo = await churnRepo({ customers: 120, epochs: 1 });
}, 120_000);
afterAll(() => cleanupTemp());

describe('api entries', () => {
  test('explain: reasons, order and observations of one action; an unknown id lists the ids', async () => {
    const r = await api.explain({ cwd: repo, now: NOW, action: 'model.train:churn' });
    if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
    if (!r.result.ok) throw new Error(r.result.message);
    const e = r.result.explanation;
    expect(e.action.type).toBe('model.train');
    expect(e.after.map((a) => a.type).sort()).toEqual([
      'data.scan',
      'feature.materialize',
      'feature.materialize',
    ]);
    expect(e.before.map((a) => a.type)).toEqual(['model.promote']);
    expect(e.wave).toBe(2);
    expect(Object.keys(e.observations.views).sort()).toEqual(['customer_activity', 'customer_profile']);
    expect(e.lines.join('\n')).toContain('no trained version yet [no-version]');

    const missing = await api.explain({ cwd: repo, now: NOW, plan: r.plan, action: 'model.train:nope' });
    expect(missing.ok && !missing.result.ok && missing.result.candidates).toEqual(
      r.plan.actions.map((a) => a.id),
    );
    const ambiguous = await api.explain({ cwd: repo, now: NOW, plan: r.plan, action: 'feature.materialize' });
    expect(ambiguous.ok && !ambiguous.result.ok && ambiguous.result.message).toMatch(/matches 2 actions/);
  }, 120_000);

  test('dataset and data scan: results, and a usage error naming what exists', async () => {
    const ds = await api.dataset({ cwd: repo, model: 'churn', out: 'out/churn.parquet' });
    expect(ds.ok && ds.value.rows).toBeGreaterThan(0);
    await expect(api.dataset({ cwd: repo, model: 'chrun', out: 'x.parquet' })).rejects.toThrow(
      /no model "chrun"\. Did you mean "churn"\?/,
    );
    const scan = await api.dataScan({ cwd: repo });
    expect(scan.ok && scan.value.map((s) => s.policy)).toEqual(['customer-pii']);
    await expect(api.dataScan({ cwd: repo, policy: 'pii' })).rejects.toBeInstanceOf(api.UsageError);
  }, 120_000);

  test('unlock: only the holder id, and a live holder only with force', async () => {
    const held = await acquireApplyLock({ root: repo, operation: 'apply (test)', timeoutMs: 0 });
    try {
      const info = held.info;
      expect(await api.unlock({ cwd: repo, id: 'nope' })).toMatchObject({
        released: false,
        reason: 'other-id',
      });
      expect(await api.unlock({ cwd: repo, id: info.id })).toMatchObject({
        released: false,
        reason: 'alive',
      });
      expect(await api.unlock({ cwd: repo, id: info.id, force: true })).toMatchObject({ released: true });
      expect(await api.unlock({ cwd: repo, id: info.id })).toMatchObject({ released: false, reason: 'free' });
    } finally {
      await held.release();
    }
  });

  test('reconcile: applies what needs no approval, holds the rest, commits', async () => {
    const policy = join(repo, 'policies', 'operations', 'churn-retrain.yaml');
    writeFileSync(policy, readFileSync(policy, 'utf8').replace('approval: auto', 'approval: manual'));
    git(repo, 'commit', '-qam', 'manual approval');
    const r = await api.reconcile({
      cwd: repo,
      actor: 'ci',
      now: () => NOW,
      trainers: { tfjs: fakeTrainer(repo) },
    });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.held.map((a) => a.type)).toEqual(['model.promote']);
    expect(r.outcomes.map((o) => [o.type, o.status])).toEqual([
      ['data.scan', 'done'],
      ['feature.materialize', 'done'],
      ['feature.materialize', 'done'],
      ['model.train', 'done'],
    ]);
    expect(r.summary).toMatch(/1 action\(s\) wait for a person: model\.promote:churn@v1/);
    expect(git(repo, 'log', '-1', '--format=%s')).toMatch(/^rudder: .*train churn v1 \(new model\)$/);
    const list = await api.dataList({ cwd: repo });
    expect(list.ok).toBe(true);
  }, 180_000);
});
