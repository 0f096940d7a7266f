// Issue 9.1: a fresh CI checkout must never let a worse model replace the champion.
//
// GIVEN a repository with a bare remote, a champion trained and committed in one checkout, and a
// fresh clone (artifacts are git-ignored, so the clone has none of them) in which a policy change
// makes a much worse candidate (1 epoch at a tiny learning rate instead of 12 epochs):
// (a) with an S3 store (s3rver on 127.0.0.1) the clone reaches the champion, scores it on rows
//     neither version trained on, and rejects the worse candidate;
// (b) with the default local store (.rudder/artifacts, ignored) the champion cannot be scored:
//     the gate fails closed, the champion stays, and `rudder apply` exits 1 saying what to do.
// Real git, real DuckDB, real tfjs training, a real S3 endpoint.
import { execFile } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { apply, artifactsPull, artifactsVerify } from '../../src/api/index.ts';
import { defaultChurnOptions } from '../../src/sample/churn-data.ts';
import { writeSampleData } from '../../src/sample/write-sample-data.ts';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { startS3rver, useS3rverCredentials, type S3Endpoint } from '../helpers/s3rver.ts';
import { bareRemote, cleanupTemp, cloneOf, git, isolateGitConfig } from '../helpers/temp-repo.ts';

const NOW = new Date('2026-07-06T00:00:00Z');
const clock = () => NOW;
const CUSTOMERS = 400;

let s3: S3Endpoint;
beforeAll(async () => {
  isolateGitConfig();
  useS3rverCredentials();
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3.close();
  cleanupTemp();
});

/** The first checkout: rudder.yaml's artifacts set to `artifacts`, champion v1 trained, pushed. */
async function championRepo(artifacts: string): Promise<{ bare: string }> {
  const repo = await churnRepo({ customers: CUSTOMERS });
  const yaml = join(repo, 'rudder.yaml');
  writeFileSync(yaml, readFileSync(yaml, 'utf8').replace(/artifacts: \{[^}]*\}/, `artifacts: ${artifacts}`));
  if (git(repo, 'status', '--porcelain') !== '') git(repo, 'commit', '-qam', 'artifact store');
  const bare = bareRemote(repo);
  const first = await apply({ cwd: repo, actor: 'ci', now: clock });
  expect(first.diagnostics).toEqual([]);
  expect(first.ok).toBe(true);
  expect(lockOf(repo)).toMatch(/status: champion/);
  git(repo, 'push', '-q', 'origin', 'main');
  return { bare };
}

/** A fresh clone (CI): the same data source, no .rudder/, and a policy change that trains a worse model. */
async function freshCloneWithWorsePolicy(bare: string): Promise<string> {
  const clone = cloneOf(bare, 'CI');
  // data/ is not in git (as sources usually are not): CI reads the same files.
  await writeSampleData(join(clone, 'data'), {
    ...defaultChurnOptions,
    customers: CUSTOMERS,
    start: '2026-01-05',
  });
  const model = join(clone, 'policies', 'models', 'churn.yaml');
  writeFileSync(model, readFileSync(model, 'utf8').replace(/epochs: \d+/, 'epochs: 3'));
  git(clone, 'commit', '-qam', 'train for one epoch');
  return clone;
}

const secs = (since: number) => ((performance.now() - since) / 1000).toFixed(1);
const lockOf = (repo: string) => readFileSync(join(repo, 'state', 'models', 'churn.lock.yaml'), 'utf8');

/** `status:` of each version in the model lock, in version order. */
function statuses(repo: string): string[] {
  return [...lockOf(repo).matchAll(/^ {4}status: (\w+)$/gm)].map((m) => m[1]!);
}

describe('a fresh checkout never promotes a worse model', () => {
  test('slow: (a) with a shared S3 store the champion is pulled, scored, and the worse candidate rejected', async () => {
    const started = performance.now();
    const prefix = `fresh-clone-${Date.now().toString(36)}`;
    const { bare } = await championRepo(
      `{ type: s3, bucket: ${s3.bucket}, prefix: ${prefix}, endpoint: "${s3.endpoint}" }`,
    );
    const cloned = performance.now();
    const clone = await freshCloneWithWorsePolicy(bare);
    // Nothing local yet: every artifact the lockfile names is on the bucket, verified.
    expect((await artifactsVerify({ cwd: clone })).ok).toBe(true);

    const r = await apply({ cwd: clone, actor: 'ci', now: clock });
    expect(r.diagnostics).toEqual([]);
    const rollout = r.outcomes.find((o) => o.id.startsWith('rollout.start'))!;
    expect(rollout.status).toBe('done');
    expect(rollout.message).toMatch(
      /^v2 rejected by its gates: beatChampionBy auc: auc [\d.]+ vs champion [\d.]+ on \d+ rows neither trained on: worse by/,
    );
    expect(statuses(clone)).toEqual(['champion', 'rejected']);
    // The candidate went through to the bucket too: another checkout can reach it.
    expect((await artifactsPull({ cwd: clone })).ok).toBe(true);
    console.error(
      `fresh-clone scenario (a), S3 store: ${secs(started)} s in all, ${secs(cloned)} s from the clone on`,
    );
  });

  test('slow: (b) with a local, git-ignored store the gate fails closed: the champion stays and apply exits 1', async () => {
    const started = performance.now();
    const { bare } = await championRepo('{ type: local, path: .rudder/artifacts }');
    const cloned = performance.now();
    const clone = await freshCloneWithWorsePolicy(bare);

    const pulled = await artifactsPull({ cwd: clone });
    expect(pulled.ok).toBe(false);
    expect(pulled.items.filter((i) => i.role === 'model').map((i) => i.status)).toEqual(['missing']);

    const cli = await promisify(execFile)(
      process.execPath,
      [join(ROOT, 'bin', 'rudder.js'), '-C', clone, 'apply', '--auto-approve'],
      { env: { ...process.env, CI: '1' }, maxBuffer: 16 * 1024 * 1024 },
    ).then(
      (ok) => ({ code: 0, out: ok.stdout + ok.stderr }),
      (e: { code: number; stdout: string; stderr: string }) => ({ code: e.code, out: e.stdout + e.stderr }),
    );
    expect(cli.code).toBe(1);
    expect(cli.out).toMatch(
      /v2 stays a candidate: beatChampionBy auc, maxRegression logloss cannot be evaluated, because champion v1's artifact cannot be read: artifact sha256:[0-9a-f]{64} is not in the store at .*\.rudder\/artifacts\. Next: run `rudder artifacts pull`, or configure a shared artifact store/,
    );
    expect(cli.out).not.toMatch(/training failed/);
    // v1 is still champion; v2 trained and waits as a candidate, not promoted, not rejected.
    expect(statuses(clone)).toEqual(['champion', 'candidate']);
    console.error(
      `fresh-clone scenario (b), local store: ${secs(started)} s in all, ${secs(cloned)} s from the clone on`,
    );
  });

  test('slow: after a split change the champion is scored only on rows it never trained on (issue 9.9)', async () => {
    // GIVEN champion v1 trained with a 20% time holdout (the newest 80 of 400 label rows)
    const repo = await churnRepo({ customers: CUSTOMERS });
    expect((await apply({ cwd: repo, actor: 'ci', now: clock })).ok).toBe(true);
    const v1Holdout = /holdout:\n\s+digest: \S+\n\s+from: \S+\n\s+rows: (\d+)/.exec(lockOf(repo))![1];
    // WHEN the split changes to a 50% holdout: the candidate's holdout now holds rows v1 trained on
    const model = join(repo, 'policies', 'models', 'churn.yaml');
    writeFileSync(model, readFileSync(model, 'utf8').replace('holdout: 20%', 'holdout: 50%'));
    git(repo, 'commit', '-qam', 'hold out half');
    const r = await apply({ cwd: repo, actor: 'ci', now: clock });
    // THEN the comparison uses only v1's own holdout rows (digest-verified), not the 200 new ones
    const rollout = r.outcomes.find((o) => o.id.startsWith('rollout.start'))!;
    expect(rollout.status).toBe('done');
    expect(Number(v1Holdout)).toBe(80);
    expect(rollout.message).toMatch(/auc [\d.]+ vs champion [\d.]+ on 80 rows neither trained on/);
  });
});
