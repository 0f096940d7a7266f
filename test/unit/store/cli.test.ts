import { execFile } from 'node:child_process';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { type Repo, tempRepo } from './store-helpers.ts';

const BIN = fileURLToPath(new URL('../../../bin/rudder.js', import.meta.url));

/** Run the CLI, asynchronously (a synchronous spawn blocks the test worker for the whole run). */
function rudder(
  cwd: string,
  ...args: string[]
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, '-C', cwd, ...args],
      {
        encoding: 'utf8',
        env: { ...process.env, NO_COLOR: '1', RUDDER_PII_SALT: 'cli-test-salt-0123456789' },
        maxBuffer: 64 << 20,
      },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

const POLICIES = `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: acct }
spec:
  source: { path: data/acct.csv, timestamp: ts }
  entities: [id]
  features:
    - { name: spend, type: int }
    - { name: notes, type: string }
    - { name: email, type: string, pii: true }
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: m }
spec:
  task: binary-classification
  label: { source: { path: data/labels.csv, timestamp: ts }, entities: [id], column: y }
  features: [acct:spend, acct:notes]
  trainer: { type: tfjs }
---
apiVersion: rudder.dev/v1alpha1
kind: DataPolicy
metadata: { name: pii }
spec:
  scope: { views: [acct] }
  detectors: [email, phone, ssn, credit-card]
  action: quarantine
  allow: [{ view: acct, column: email, detector: email, reason: contact column }]
`;

describe('rudder dataset and rudder data (CLI)', () => {
  let repo: Repo;
  beforeAll(() => {
    repo = tempRepo('pii');
    repo.write('rudder.yaml', 'apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: t }\n');
    repo.write('policies/all.yaml', POLICIES);
  });
  afterAll(() => repo.cleanup());

  test('dataset writes the file and reports rows, nulls, digest and cut-off on stderr', async () => {
    const r = await rudder(repo.root, 'dataset', 'm', '--out', 'out/m.parquet');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain('wrote out/m.parquet: 5 rows, 2 features, cut-off 2026-01-05T00:00:00Z');
    expect(r.stderr).toMatch(/digest sha256:[0-9a-f]{64}/);
    expect(r.stderr).toContain('nulls: acct:notes 2, acct:spend 1');
    expect(r.stderr).toMatch(/quarantine q-[0-9a-f]{12} \(active\): 1 row of acct\.notes match ssn \[pii\]/);
    expect(r.stderr).not.toContain('123-45-6789');
    expect(existsSync(join(repo.root, 'out/m.parquet'))).toBe(true);
    // The store database lives under .rudder/, never in the policy or data folders.
    expect(existsSync(join(repo.root, '.rudder/store.duckdb'))).toBe(true);
  });

  test('--json prints the training set on stdout', async () => {
    const r = await rudder(repo.root, '--json', 'dataset', 'm', '--out', 'out/m.csv');
    expect(r.code).toBe(0);
    const ts = JSON.parse(r.stdout) as { path: string; rows: number; format: string };
    expect(ts).toMatchObject({ path: 'out/m.csv', rows: 5, format: 'csv' });
    expect(readFileSync(join(repo.root, 'out/m.csv'), 'utf8').split('\n')[0]).toBe(
      'id,__label_ts,__label,acct__notes,acct__spend',
    );
  });

  test('data scan lists findings and quarantines; data release releases one', async () => {
    const scan = await rudder(repo.root, 'data', 'scan');
    expect(scan.code).toBe(0);
    expect(scan.stdout).toContain('acct.email: 6 rows match email (allowed)');
    const id = /quarantine (q-[0-9a-f]{12}) \(active\): 1 row of data\/acct\.csv \[notes, ssn\]/.exec(
      scan.stdout,
    )?.[1];
    expect(id).toBeDefined();
    // A scan previews; the state records quarantines only through apply.
    const early = await rudder(repo.root, 'data', 'release', id!, '--reason', 'reviewed: a test value');
    expect(early.code).toBe(1);
    expect(early.stderr).toContain(`quarantine ${id} was found by a scan but is not recorded in state/ yet`);
    await rudder(repo.root, 'apply', '--auto-approve');
    expect(readFileSync(join(repo.root, 'state/data/pii.lock.yaml'), 'utf8')).toContain(`id: ${id}`);
    expect((await rudder(repo.root, 'data', 'release', id!)).stderr).toContain(
      "required option '--reason <text>' not specified",
    );
    const rel = await rudder(repo.root, 'data', 'release', id!, '--reason', 'reviewed: a test value');
    expect(rel.code).toBe(0);
    expect(rel.stdout).toContain(`released ${id}: 1 row of acct.notes (ssn) [pii]`);
    expect(readFileSync(join(repo.root, 'state/data/pii.lock.yaml'), 'utf8')).toContain(
      'reason: "reviewed: a test value"',
    );
    const again = await rudder(repo.root, 'dataset', 'm', '--out', 'out/m2.parquet');
    expect(again.stderr).toContain(`quarantine ${id} (released)`);
    expect(again.stderr).toContain('nulls: acct:notes 1\n');
  });

  test('bad data exits 1 with the file, column and row, no stack trace and no output file', async () => {
    repo.write(
      'data/acct.csv',
      readFileSync(join(repo.root, 'data/acct.csv'), 'utf8').replace(',30,', ',thirty,'),
    );
    const r = await rudder(repo.root, 'dataset', 'm', '--out', 'out/bad.parquet');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'rudder: data/acct.csv: row 4, column "spend": the value is not an integer (feature view "acct" reads it as int)\n',
    );
    expect(readdirSync(join(repo.root, 'out')).filter((f) => f.includes('bad'))).toEqual([]);
  });

  test('usage errors: an unknown model, a wrong extension, an id that is not one', async () => {
    expect((await rudder(repo.root, 'dataset', 'mm', '--out', 'x.parquet')).stderr).toContain(
      'no model "mm". Did you mean "m"?',
    );
    expect((await rudder(repo.root, 'dataset', 'm', '--out', 'x.json')).stderr).toContain(
      'must end in .parquet or .csv',
    );
    const r = await rudder(repo.root, 'data', 'release', 'nope', '--reason', 'whatever');
    expect(r.code).toBe(1);
    expect(r.stderr).toContain('is not a quarantine id');
  });
});
