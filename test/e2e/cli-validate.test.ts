import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const BIN = join(ROOT, 'bin', 'rudder.js');

/**
 * Run the CLI. Asynchronously: a synchronous spawn blocks the test worker for the whole run,
 * and vitest's worker RPC times out when a loaded machine makes that long.
 */
function rudder(
  args: string[],
  cwd = ROOT,
): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [BIN, ...args],
      { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' }, maxBuffer: 64 << 20 },
      (err, stdout, stderr) => {
        const code = err ? (typeof err.code === 'number' ? err.code : 1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let repo: string;
beforeAll(() => {
  repo = mkdtempSync(join(tmpdir(), 'rudder-cli-'));
  cpSync(join(ROOT, 'policies'), join(repo, 'policies'), { recursive: true });
  cpSync(join(ROOT, 'rudder.yaml'), join(repo, 'rudder.yaml'));
});
afterAll(() => rmSync(repo, { recursive: true, force: true }));

describe('rudder validate (CLI)', () => {
  test('the root policies validate clean through -C, exit 0', async () => {
    const r = await rudder(['-C', repo, 'validate']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Valid: 7 files, 7 documents — 2 feature views, 1 model/);
  });

  test('an error exits 1 with file:line:col, code, code frame and hint', async () => {
    const bad = mkdtempSync(join(tmpdir(), 'rudder-cli-bad-'));
    cpSync(repo, bad, { recursive: true });
    writeFileSync(
      join(bad, 'policies', 'models', 'churn.yaml'),
      readFileText(join(repo, 'policies', 'models', 'churn.yaml')).replace(
        'customer_activity:spend_30d',
        'customer_activity:spend_3d',
      ),
    );
    const r = await rudder(['-C', bad, 'validate']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /^policies\/models\/churn\.yaml:18:7 error model\/unknown-feature feature view "customer_activity" has no feature "spend_3d"/m,
    );
    expect(r.stdout).toContain('> 18 |     - customer_activity:spend_3d');
    expect(r.stdout).toContain('hint: Did you mean "spend_30d"?');

    const json = await rudder(['-C', bad, 'validate', '--json']);
    expect(json.code).toBe(1);
    const parsed = JSON.parse(json.stdout) as {
      formatVersion: number;
      errors: number;
      diagnostics: { code: string; line: number; column: number; file: string }[];
    };
    expect(parsed.formatVersion).toBe(1);
    expect(parsed.diagnostics[0]).toMatchObject({
      code: 'model/unknown-feature',
      file: 'policies/models/churn.yaml',
      line: 18,
      column: 7,
    });

    const gh = await rudder(['-C', bad, 'validate', '--format', 'github']);
    expect(gh.code).toBe(1);
    expect(gh.stdout).toMatch(
      /^::error file=policies\/models\/churn\.yaml,line=18,col=7,title=model\/unknown-feature::/m,
    );
    rmSync(bad, { recursive: true, force: true });
  });

  test('-C to a missing directory and an unknown command fail with a message, not a stack trace', async () => {
    const r = await rudder(['-C', join(repo, 'nope'), 'validate']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/no such directory/);
    expect(r.stderr).not.toMatch(/\bat .*\.ts:\d+/);
    const u = await rudder(['valdate']);
    expect(u.code).toBe(1);
    expect(u.stderr).toMatch(/Did you mean validate\?/);
  });

  test('rudder schema prints JSON Schemas; an unknown kind is an error', async () => {
    const all = await rudder(['schema']);
    expect(all.code).toBe(0);
    expect(JSON.parse(all.stdout)).toMatchObject({ $schema: 'https://json-schema.org/draft/2020-12/schema' });
    const model = JSON.parse((await rudder(['schema', 'model'])).stdout) as {
      title: string;
      $defs: Record<string, unknown>;
    };
    expect(model.title).toBe('Model');
    expect(model.$defs).toHaveProperty('duration');
    const bad = await rudder(['schema', 'Modle']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/Did you mean "Model"/);
  });

  test('every example validates without errors', async () => {
    for (const ex of ['fraud-abtest', 'house-prices']) {
      const r = await rudder(['-C', join(ROOT, 'examples', ex), 'validate', '--json']);
      expect(JSON.parse(r.stdout)).toMatchObject({ ok: true, errors: 0 });
      expect(r.code).toBe(0);
    }
  });
});

function readFileText(p: string): string {
  return readFileSync(p, 'utf8');
}

describe('rudder init', () => {
  test('scaffolds a repository that validates, and never overwrites', async () => {
    const dir = join(mkdtempSync(join(tmpdir(), 'rudder-init-')), 'acme');
    const r = await rudder(['init', dir]);
    expect(r.code).toBe(0);
    expect(r.stderr).toMatch(/Scaffolded .*: rudder.yaml and 6 policy files and an empty git repository/);
    expect((await rudder(['-C', dir, 'validate'])).code).toBe(0);
    const again = await rudder(['init', dir]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already exists; init never overwrites/);
  });
});
