// `rudder backtest --train` on a small churn world: each simulated retrain trains a candidate as of
// its step (labels cut there) in a scratch copy, and scores it and the champion on the following
// period; the user's repository keeps its lockfiles and commits.
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, test } from 'vitest';
import { apply } from '../../src/api/index.ts';
import { backtest } from '../../src/api/backtest.ts';
import { churnRepo } from '../helpers/churn-repo.ts';
import { cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';

let repo = '';
beforeAll(async () => {
  isolateGitConfig();
  repo = await churnRepo({ customers: 1000, epochs: 1 });
  // Only the schedule trigger, weekly: cheap to observe, and it fires at a known step.
  const p = join(repo, 'policies', 'operations', 'churn-retrain.yaml');
  writeFileSync(
    p,
    readFileSync(p, 'utf8')
      .replace(/\n\s*- (drift|performance): \{[^}]*\}/g, '')
      .replace('every: 30d', 'every: 7d')
      // One epoch on a small world: let v1 pass, so there is a champion to compare with.
      .replace(/- \{ metric: auc, min: 0\.70 \}/, '- { metric: auc, min: 0.5 }'),
  );
  git(repo, 'commit', '-qam', 'weekly schedule only');
  const a = await apply({ cwd: repo, actor: 'cli', now: () => new Date('2026-04-01T00:00:00Z') });
  if (!a.ok) throw new Error(a.summary);
}, 120_000);
afterAll(() => cleanupTemp());

test('a retrain at each fired step, scored against the monitored version on the next period', async () => {
  const head = git(repo, 'rev-parse', 'HEAD');
  const lock = readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8');
  const r = await backtest({
    cwd: repo,
    model: 'churn',
    from: new Date('2026-04-08T00:00:00Z'),
    to: new Date('2026-04-22T00:00:00Z'),
    everyMs: 7 * 86_400_000,
    train: true,
  });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  expect(r.report.steps.map((s) => s.outcome)).toEqual(['fired', 'fired', 'fired']);
  const trains = r.report.trains!;
  expect(trains).toHaveLength(3);
  for (const t of trains) {
    expect(t.error).toBeUndefined();
    expect(t.metric).toBe('auc');
    expect(t.candidate!.version).toBe(2);
    expect(t.candidate!.labels, JSON.stringify(t)).toBeGreaterThan(20);
    expect(t.candidate!.value).toBeGreaterThan(0);
    expect(t.champion!.version).toBe(1);
    expect(t.champion!.labels).toBe(t.candidate!.labels);
    expect(t.champion!.value).toBeGreaterThan(0);
  }
  expect(git(repo, 'rev-parse', 'HEAD')).toBe(head);
  expect(readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8')).toBe(lock);
}, 180_000);
