// `npm run chaos [-- --kills 50 --seed 7]`: a fault campaign against `rudder apply` on the root
// churn scenario. Each round: a fresh repository (real git, DuckDB, tfjs), `rudder apply` in a
// child process SIGKILLed at a random moment within one measured apply's duration, then a
// recovering `rudder apply`. A round recovers when that apply exits 0, the tree is clean (every
// lockfile committed), every state commit names the actions it contains, and a new plan is
// empty. Prints one line per kill and a table of kill points and outcomes; exits 1 if any round
// did not recover. Runs outside the test suite: it takes minutes.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { defaultChurnOptions } from '../src/sample/churn-data.ts';
import { writeSampleData } from '../src/sample/write-sample-data.ts';
import { Rng } from '../src/util/rng.ts';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BIN = join(ROOT, 'bin', 'rudder.js');
const arg = (name: string, dflt: number): number => {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : dflt;
};
const KILLS = arg('kills', 50);
const SEED = arg('seed', 1);
const ENV = { ...process.env, CI: '1', GIT_CONFIG_NOSYSTEM: '1' };

function git(cwd: string, ...args: string[]): string {
  const r = spawnSync('git', args, { cwd, encoding: 'utf8', env: ENV });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
}

async function freshRepo(base: string, i: number): Promise<string> {
  const repo = join(base, `r${i}`);
  cpSync(join(ROOT, 'policies'), join(repo, 'policies'), { recursive: true });
  cpSync(join(ROOT, 'rudder.yaml'), join(repo, 'rudder.yaml'));
  const model = join(repo, 'policies', 'models', 'churn.yaml');
  writeFileSync(model, readFileSync(model, 'utf8').replace(/epochs: \d+/, 'epochs: 3'));
  writeFileSync(join(repo, '.gitignore'), '/.rudder/\n/data/\n');
  await writeSampleData(join(repo, 'data'), { ...defaultChurnOptions, customers: 400, start: '2026-01-05' });
  git(repo, 'init', '-q', '-b', 'main');
  git(repo, 'config', 'user.name', 'Chaos');
  git(repo, 'config', 'user.email', 'chaos@example.com');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-qm', 'policies');
  return repo;
}

/** Which step the killed apply had reached, from what it left behind. */
function killPoint(repo: string): string {
  const state = join(repo, 'state');
  const files = existsSync(state)
    ? readdirSync(state, { recursive: true })
        .filter((f) => String(f).endsWith('.lock.yaml'))
        .map(String)
    : [];
  const journal = existsSync(join(repo, '.rudder', 'apply-run.json'));
  const journalFile = join(repo, '.rudder', 'state-journal.json');
  // The state journal stays behind marked done after every write; only a pending one is mid-write.
  const stateJournal = existsSync(journalFile) && readFileSync(journalFile, 'utf8').includes('"pending"');
  const committed = git(repo, 'log', '--format=%s').includes('rudder:');
  if (committed) return 'after the commit';
  if (stateJournal) return 'mid state write';
  if (files.length === 0) return journal ? 'running, no lockfile yet' : 'before any action';
  return `after ${files.length} lockfile(s)`;
}

function runApply(repo: string): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const c = spawn(process.execPath, [BIN, '-C', repo, 'apply', '--auto-approve'], { env: ENV });
    let stderr = '';
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('exit', (code) => resolve({ code, stderr }));
  });
}

async function main(): Promise<void> {
  const base = mkdtempSync(join(tmpdir(), 'rudder-chaos-'));
  try {
    // One undisturbed apply measures the kill window: from the moment the run journal appears
    // (actions start; before it the process is still loading) to the end.
    const probe = await freshRepo(base, 0);
    const t0 = Date.now();
    let started = 0;
    const watch = setInterval(() => {
      if (!started && existsSync(join(probe, '.rudder', 'apply-run.json'))) started = Date.now() - t0;
    }, 5);
    const p = await runApply(probe);
    clearInterval(watch);
    const span = Date.now() - t0;
    if (p.code !== 0) throw new Error(`the undisturbed apply failed:\n${p.stderr}`);
    const from = started || 0;
    console.log(
      `undisturbed apply: ${(span / 1000).toFixed(1)} s, actions from ${from} ms; ${KILLS} kills at random points in [${from}, ${span}] ms, seed ${SEED}`,
    );
    const rng = new Rng(SEED);
    const rows: { at: number; point: string; outcome: string }[] = [];
    for (let i = 1; i <= KILLS; i++) {
      const repo = await freshRepo(base, i);
      const at = from + Math.floor(rng.next() * (span - from));
      const child = spawn(process.execPath, [BIN, '-C', repo, 'apply', '--auto-approve'], {
        env: ENV,
        stdio: 'ignore',
      });
      const exited = new Promise<number | null>((r) => child.on('exit', (c) => r(c)));
      const timer = setTimeout(() => child.kill('SIGKILL'), at);
      const code = await exited;
      clearTimeout(timer);
      const point = code === null ? killPoint(repo) : 'finished before the kill';
      const rec = await runApply(repo);
      let outcome = 'recovered';
      const dirty = git(repo, 'status', '--porcelain');
      if (rec.code !== 0)
        outcome = `recovery apply exit ${rec.code}: ${
          rec.stderr
            .split('\n')
            .filter((l) => /error|✗|failed/.test(l))
            .slice(0, 2)
            .join(' | ') || rec.stderr.trim().split('\n').slice(-2).join(' | ')
        }`;
      else if (dirty) outcome = `uncommitted after recovery: ${dirty.replace(/\n/g, ' ')}`;
      else {
        for (const f of git(repo, 'ls-files', 'state').split('\n').filter(Boolean)) {
          if (!/Rudder-Action: /.test(git(repo, 'log', '-1', '--format=%B', '--', f)))
            outcome = `${f}: last commit names no action`;
        }
        const again = spawnSync(process.execPath, [BIN, '-C', repo, 'plan', '--detailed-exitcode'], {
          env: ENV,
          encoding: 'utf8',
        });
        if (outcome === 'recovered' && again.status !== 0)
          outcome = `plan after recovery exit ${again.status}`;
      }
      rows.push({ at, point, outcome });
      console.log(
        `kill ${String(i).padStart(2)} at ${String(at).padStart(6)} ms  ${point.padEnd(26)} ${outcome}`,
      );
      rmSync(repo, { recursive: true, force: true });
    }
    const byPoint = new Map<string, { n: number; ok: number }>();
    for (const r of rows) {
      const e = byPoint.get(r.point) ?? { n: 0, ok: 0 };
      e.n++;
      if (r.outcome === 'recovered') e.ok++;
      byPoint.set(r.point, e);
    }
    console.log('\nkill point                  kills  recovered');
    for (const [k, v] of [...byPoint].sort())
      console.log(`${k.padEnd(27)} ${String(v.n).padStart(5)}  ${String(v.ok).padStart(9)}`);
    const bad = rows.filter((r) => r.outcome !== 'recovered').length;
    console.log(`\n${rows.length - bad}/${rows.length} recovered`);
    process.exitCode = bad ? 1 : 0;
  } finally {
    rmSync(base, { recursive: true, force: true });
  }
}

await main();
