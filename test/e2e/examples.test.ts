// The examples run as their READMEs say: sample data, validate, plan — and for fraud-abtest a
// real apply (real DuckDB, real tfjs, real git with a bare remote to push to). house-prices is
// planned only: its trainer is a PyTorch script, and tests never need Python.
import { cpSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apply, plan, validate } from '../../src/api/index.ts';
import { sampleDataCommand } from '../../src/cli/commands/sample-data.ts';
import type { CommandIO } from '../../src/cli/io.ts';
import { writeFraudSampleData, writeHouseSampleData } from '../../src/sample/write-example-data.ts';
import { ROOT } from '../helpers/churn-repo.ts';
import { bareRemote, cleanupTemp, git, isolateGitConfig, tempDir, tempRepo } from '../helpers/temp-repo.ts';

const NOW = new Date('2026-07-06T09:00:00Z');
const clock = () => NOW;

beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

/** A git repository holding a copy of examples/<name>, its data generated, policies committed. */
async function exampleRepo(name: string, writeData: (dir: string) => Promise<unknown>): Promise<string> {
  const repo = tempRepo();
  cpSync(join(ROOT, 'examples', name), repo, { recursive: true });
  await writeData(join(repo, 'data'));
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', `examples/${name}`);
  // The example's .gitignore keeps the generated data and .rudder/ out of git, never state/.
  expect(git(repo, 'ls-files', 'data')).toBe('');
  const ignored = (path: string): boolean => {
    try {
      git(repo, 'check-ignore', '-q', '--no-index', path);
      return true;
    } catch {
      return false;
    }
  };
  expect(ignored('data/merchant_risk.csv')).toBe(true);
  expect(ignored('.rudder/store.duckdb')).toBe(true);
  expect(ignored('state/data/card-data.lock.yaml')).toBe(false);
  return repo;
}

describe('examples/fraud-abtest', () => {
  test('slow: sample data → validate → plan → apply trains and promotes fraud v1 → plan is empty', async () => {
    const repo = await exampleRepo('fraud-abtest', (dir) =>
      writeFraudSampleData(dir, {
        seed: 7,
        authorizations: 1200,
        cards: 200,
        merchants: 40,
        days: 7,
        end: NOW.toISOString(),
      }),
    );
    bareRemote(repo); // spec.git.push: true

    const v = await validate({ cwd: repo });
    expect(v.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(v.ok).toBe(true);

    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
    expect(p.plan.blocked).toEqual([]);
    expect(p.plan.actions.map((a) => a.id.split('@')[0]).sort()).toEqual([
      'data.scan:card-data',
      'feature.materialize:card_velocity',
      'feature.materialize:merchant_risk',
      'model.promote:fraud',
      'model.train:fraud',
    ]);
    expect(p.plan.actions.find((a) => a.type === 'model.promote')!.requiresApproval).toBe(true);

    const r = await apply({ cwd: repo, plan: p.plan, approve: ['fraud'], actor: 'cli', now: clock });
    expect(r.diagnostics).toEqual([]);
    expect(r.ok).toBe(true);
    expect(r.outcomes.map((o) => `${o.id.split('@')[0]} ${o.status}`).sort()).toEqual([
      'data.scan:card-data done',
      'feature.materialize:card_velocity done',
      'feature.materialize:merchant_risk done',
      'model.promote:fraud done',
      'model.train:fraud done',
    ]);
    // The DataPolicy scans the label source too (scope.labels), and the PII columns are allowed.
    const dataLock = readFileSync(join(repo, 'state', 'data', 'card-data.lock.yaml'), 'utf8');
    expect(dataLock).toContain('view: label:fraud');
    expect(dataLock).toMatch(/allowed: true\n\s+column: card_number\n\s+detector: credit-card/);
    // A real model with a sensible metric: above the 0.6 gate on pr_auc (a 120-row holdout).
    const lock = readFileSync(join(repo, 'state', 'models', 'fraud.lock.yaml'), 'utf8');
    expect(lock).toMatch(/status: champion/);
    const prAuc = Number(/pr_auc: ([0-9.]+)/.exec(lock)![1]);
    const auc = Number(/\bauc: ([0-9.]+)/.exec(lock)![1]);
    expect(prAuc).toBeGreaterThan(0.6);
    expect(auc).toBeGreaterThan(0.75);
    // Committed and pushed; nothing left uncommitted.
    expect(git(repo, 'status', '--porcelain')).toBe('');
    expect(git(repo, 'rev-parse', 'HEAD')).toBe(git(repo, 'rev-parse', 'origin/main'));

    const again = await plan({ cwd: repo, now: NOW });
    if (!again.ok) throw new Error(JSON.stringify(again.diagnostics));
    expect(again.plan.blocked).toEqual([]);
    expect(again.plan.actions).toEqual([]);
  });
});

describe('examples/house-prices', () => {
  test('sample data → validate → plan: two views to materialize, price to train and promote', async () => {
    const repo = await exampleRepo('house-prices', (dir) =>
      writeHouseSampleData(dir, { seed: 7, listings: 600, days: 400, end: NOW.toISOString() }),
    );
    const v = await validate({ cwd: repo });
    expect(v.diagnostics.filter((d) => d.severity !== 'info')).toEqual([]);
    expect(v.ok).toBe(true);

    const p = await plan({ cwd: repo, now: NOW });
    if (!p.ok) throw new Error(JSON.stringify(p.diagnostics));
    expect(p.plan.blocked).toEqual([]);
    expect(p.plan.actions.map((a) => a.id.split('@')[0]).sort()).toEqual([
      'feature.materialize:district_stats',
      'feature.materialize:listing',
      'model.promote:price',
      'model.train:price',
    ]);
    // The command trainer runs the example's own script; approval is automatic.
    const train = p.plan.actions.find((a) => a.type === 'model.train')!;
    expect(train.requiresApproval).toBe(false);
    expect(p.plan.notes.filter((n) => /newest event|stale/.test(n))).toEqual([]);
  });
});

describe('rudder sample-data in an example', () => {
  function capture(): CommandIO & { err: string } {
    const io = {
      err: '',
      color: false,
      isTTY: false,
      stdout: () => undefined,
      stderr: (t: string) => void (io.err += t),
    };
    return io;
  }

  test('detects the example from rudder.yaml, writes what its policies read, and plan is not blocked', async () => {
    const repo = tempDir();
    cpSync(join(ROOT, 'examples', 'house-prices'), repo, { recursive: true });
    const io = capture();
    expect(await sampleDataCommand({ cwd: repo, out: 'data', seed: 7, force: false }, io)).toBe(0);
    expect(io.err).toMatch(/^house-prices \(project house-prices\): seed 7, 720 days of listings up to /);
    expect(io.err).toMatch(/wrote data\/listings\.csv \(4000 rows\)/);
    const p = await plan({ cwd: repo });
    expect(p.ok && p.plan.blocked).toEqual([]);
    // Options for another scenario are refused, naming the scenario and how it was found.
    await expect(
      sampleDataCommand({ cwd: repo, out: 'data', seed: 7, force: false, start: '2026-01-05' }, capture()),
    ).rejects.toThrow(
      '--start applies to the churn scenario only (this is house-prices, by project house-prices)',
    );
    await expect(
      sampleDataCommand({ cwd: repo, out: 'data', seed: 7, force: false, scenario: 'nope' }, capture()),
    ).rejects.toThrow('--scenario "nope": expected one of churn, fraud, house-prices');
  });
});
