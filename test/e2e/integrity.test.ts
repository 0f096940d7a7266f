// The core never does what a control plane must not: apply an edited plan, call a blind plan
// "no changes", apply policies that are not committed, lose or mislabel state it wrote.
import { chmodSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apply, plan, parsePlanFile, renderPlanJson } from '../../src/api/index.ts';
import { planCommand } from '../../src/cli/commands/plan.ts';
import { digestOf } from '../../src/util/canonical.ts';
import { nodeSha256 } from '../../src/util/node-hash.ts';
import { churnRepo } from '../helpers/churn-repo.ts';
import { cleanupTemp, git, isolateGitConfig } from '../helpers/temp-repo.ts';
import { captureIO } from '../helpers/capture-io.ts';

const NOW = new Date('2026-07-06T00:00:00Z');
const clock = () => NOW;

beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

const capture = captureIO;

describe('a reviewed plan applies only as reviewed', () => {
  test('GIVEN a plan file with the PII scan dropped and its digest recomputed WHEN applied THEN plan/tampered names the missing action', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
    const scan = p.plan.actions.find((a) => a.type === 'data.scan')!;
    expect(scan).toBeDefined();
    const { digest: _old, ...body } = {
      ...p.plan,
      actions: p.plan.actions.filter((a) => a.id !== scan.id),
      waves: p.plan.waves.map((w) => w.filter((id) => id !== scan.id)).filter((w) => w.length > 0),
      summary: { ...p.plan.summary, 'data.scan': undefined },
    };
    void _old;
    const forged = { ...body, digest: digestOf(body, nodeSha256) };
    // The file checks out against its own digest: that is exactly what a forger can do.
    const parsed = parsePlanFile(renderPlanJson(forged as typeof p.plan), 'plan.json');
    if (!parsed.ok) throw new Error(JSON.stringify(parsed.diagnostics));
    const r = await apply({ cwd: repo, plan: parsed.value, actor: 'ci', now: clock });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]?.code).toBe('plan/tampered');
    expect(r.diagnostics[0]?.message).toContain(`the file lacks ${scan.id}`);
    expect(git(repo, 'log', '--format=%s')).not.toContain('rudder:');
  });

  test('the untouched plan file applies', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
    const parsed = parsePlanFile(renderPlanJson(p.plan), 'plan.json');
    if (!parsed.ok) throw new Error('unparsable');
    const r = await apply({ cwd: repo, plan: parsed.value, actor: 'ci', now: clock });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    // Every lockfile the apply wrote is in its commit, the data lock included (data/ used to be ignored).
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'ls-files', 'state/data')).toContain('state/data/');
    expect(git(repo, 'show', '--name-only', '--format=', 'HEAD')).toContain('state/data/');
    // A later spec change is explained field by field, not by digests.
    const f = join(repo, 'policies', 'models', 'churn.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace(/epochs: \d+/, 'epochs: 1'));
    git(repo, 'commit', '-qam', 'fewer epochs');
    const next = await plan({ cwd: repo, now: NOW });
    if (!next.ok) throw new Error(JSON.stringify(next.diagnostics));
    const train = next.plan.actions.find((a) => a.type === 'model.train')!;
    expect(train.reasons[0]!.message).toMatch(/^spec changed since v1: .*trainer.epochs 2 → 1/);
  });
});

describe('a blind plan is an error', () => {
  test('GIVEN every source missing WHEN planning with --detailed-exitcode THEN exit 1, the blocked resources listed, in the JSON too', async () => {
    const repo = await churnRepo({ epochs: 2 });
    rmSync(join(repo, 'data'), { recursive: true, force: true });
    const io = capture();
    const code = await planCommand(
      { cwd: repo, format: 'json', detailedExitcode: true, retrain: [], now: NOW },
      io,
    );
    expect(code).toBe(1);
    const json = JSON.parse(io.out()) as { blocked: { kind: string; name: string }[]; actions: unknown[] };
    expect(json.blocked.map((b) => `${b.kind} ${b.name}`)).toEqual(
      expect.arrayContaining([
        'FeatureView customer_activity',
        'FeatureView customer_profile',
        'Model churn',
      ]),
    );
    expect(io.err()).toContain('plan/blocked');
    const text = capture();
    await planCommand({ cwd: repo, format: 'text', detailedExitcode: true, retrain: [], now: NOW }, text);
    expect(text.out()).not.toContain('No changes');
    expect(text.out()).toContain('Plan blocked:');
    const r = await apply({ cwd: repo, actor: 'ci', now: clock });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]?.code).toBe('plan/blocked');
  });

  test('--retrain of a model that does not exist is an error', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const p = await plan({ cwd: repo, now: NOW, retrain: ['chrun'] });
    expect(p.ok).toBe(false);
    expect(p.diagnostics[0]).toMatchObject({ code: 'plan/unknown-model' });
    expect(p.diagnostics[0]?.hint).toContain('Did you mean "churn"?');
  });
});

describe('state follows committed policies, and all state is committed', () => {
  test('uncommitted policy changes: apply refuses unless --allow-dirty', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const f = join(repo, 'policies', 'models', 'churn.yaml');
    writeFileSync(f, readFileSync(f, 'utf8').replace(/epochs: \d+/, 'epochs: 1'));
    const r = await apply({ cwd: repo, actor: 'ci', now: clock });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]?.code).toBe('apply/dirty-policies');
    expect(r.diagnostics[0]?.message).toContain('policies/models/churn.yaml');
    expect(existsSync(join(repo, 'state'))).toBe(false);
  });

  test('a hook that rejects the state commit: a diagnostic, not a bug; the next apply commits the state under its actions first', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const hook = join(repo, '.git', 'hooks', 'pre-commit');
    writeFileSync(hook, '#!/bin/sh\necho "no commits today" >&2\nexit 1\n');
    chmodSync(hook, 0o755);
    const r = await apply({ cwd: repo, actor: 'ci', now: clock });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]?.code).toBe('git/commit-rejected');
    expect(r.diagnostics[0]?.message).toContain('no commits today');
    expect(r.outcomes.filter((o) => o.status === 'done').length).toBeGreaterThan(0);
    expect(git(repo, 'status', '--porcelain')).toBe('?? state/');
    // The plan does not call uncommitted state "no changes": it says what will commit it.
    const io = capture();
    expect(
      await planCommand({ cwd: repo, format: 'text', detailedExitcode: true, retrain: [], now: NOW }, io),
    ).toBe(2);
    expect(io.out()).toContain('uncommitted state files will be committed first');
    expect(io.out()).toContain('state/models/churn.lock.yaml');

    rmSync(hook);
    const events: string[] = [];
    const next = await apply({
      cwd: repo,
      actor: 'ci',
      now: clock,
      onEvent: (e) => (e.type === 'notice' ? events.push(e.message) : undefined),
    });
    expect(next.diagnostics).toEqual([]);
    expect(events.join('\n')).toContain('written but not committed');
    const first = git(repo, 'log', '--format=%B', '-1', 'HEAD~0');
    const all = git(repo, 'log', '--format=%B');
    expect(all).toContain('rudder: record uncommitted state: ');
    // The commit names every action whose result it contains.
    for (const t of ['feature.materialize:customer_activity', 'model.train:churn', 'data.scan:customer-pii'])
      expect(all).toContain(`Rudder-Action: ${t}`);
    expect(git(repo, 'status', '--porcelain')).toBe('');
    void first;
    const again = await plan({ cwd: repo, now: NOW });
    expect(again.ok && again.plan.actions).toEqual([]);
  });
});

describe('labels are observed', () => {
  test('flipping labels makes a saved plan stale; the plan records the label source', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
    const labels = p.plan.observations.labels?.churn;
    expect(labels && 'rows' in labels ? labels.rows : 0).toBeGreaterThan(0);
    const file = join(repo, 'data', 'churn_labels.csv');
    const lines = readFileSync(file, 'utf8').split('\n');
    const header = lines[0]!.split(',');
    const col = header.indexOf('churned');
    let flipped = 0;
    const out = lines.map((l, i) => {
      if (i === 0 || !l || flipped >= 101) return l;
      const cells = l.split(',');
      cells[col] = cells[col] === '1' || cells[col] === 'true' ? '0' : '1';
      flipped++;
      return cells.join(',');
    });
    writeFileSync(file, out.join('\n'));
    const r = await apply({ cwd: repo, plan: p.plan, actor: 'ci', now: clock });
    expect(r.ok).toBe(false);
    expect(r.diagnostics[0]?.code).toBe('plan/stale');
  });

  test('an unreadable label source blocks its model', async () => {
    const repo = await churnRepo({ epochs: 2 });
    rmSync(join(repo, 'data', 'churn_labels.csv'));
    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
    expect(p.plan.blocked).toEqual([
      expect.objectContaining({
        kind: 'Model',
        name: 'churn',
        reason: expect.stringContaining('label source'),
      }),
    ]);
  });
});

describe('losing .rudder/ is noticed', () => {
  test('GIVEN a successful apply WHEN .rudder/ is deleted THEN the plan rebuilds the online tables; after apply the plan is empty again', async () => {
    const repo = await churnRepo({ epochs: 2 });
    const r = await apply({ cwd: repo, actor: 'ci', now: clock });
    expect(r.ok).toBe(true);
    rmSync(join(repo, '.rudder'), { recursive: true, force: true });
    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
    const mats = p.plan.actions.filter((a) => a.type === 'feature.materialize');
    expect(mats.map((a) => a.resource.name).sort()).toEqual(['customer_activity', 'customer_profile']);
    expect(mats[0]!.reasons[0]!.code).toBe('online-missing');
    expect(mats.every((a) => a.type === 'feature.materialize' && a.params.since === null)).toBe(true);
    // The local artifact store went with it: what cannot be restored here is said.
    expect(p.plan.notes.join('\n')).toMatch(
      /Model churn: v1's artifact sha256:.* is not in the artifact store/,
    );
    const restored = await apply({ cwd: repo, actor: 'ci', now: clock });
    expect(restored.ok).toBe(true);
    const again = await plan({ cwd: repo, now: NOW });
    expect(again.ok && again.plan.actions.map((a) => a.id)).toEqual([]);
  });
});
