// rudder artifacts push | pull | verify against a real s3rver: the artifacts a lockfile names go
// from the checkout that made them to the bucket, and from the bucket into a fresh checkout.
import { cpSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { artifactsPull, artifactsPush, artifactsVerify } from '../../../src/api/index.ts';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import { artifactsCommand } from '../../../src/cli/commands/artifacts.ts';
import type { CommandIO } from '../../../src/cli/io.ts';
import { diffLockStates, withLock } from '../../../src/state/lock-state.ts';
import { writeLockChanges } from '../../../src/state/state-io.ts';
import { emptyLockState } from '../../../src/state/types.ts';
import { startS3rver, useS3rverCredentials, type S3Endpoint } from '../../helpers/s3rver.ts';
import { cleanupTemp, tempDir, writeFile } from '../../helpers/temp-repo.ts';
import { modelLock, modelVersion } from '../state/fixtures.ts';

let s3: S3Endpoint;
beforeAll(async () => {
  useS3rverCredentials();
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3.close();
  cleanupTemp();
});

function io(): CommandIO & { out: string; err: string } {
  const o = { out: '', err: '', color: false, isTTY: false } as CommandIO & { out: string; err: string };
  o.stdout = (t) => void (o.out += t);
  o.stderr = (t) => void (o.err += t);
  return o;
}

/** A checkout whose rudder.yaml says `artifacts`. */
async function checkout(artifacts: string): Promise<string> {
  const root = tempDir();
  writeFile(
    root,
    'rudder.yaml',
    `apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: p }\nspec:\n  artifacts: ${artifacts}\n`,
  );
  return root;
}

async function trainedCheckout(
  artifacts: string,
  local: string,
): Promise<{ root: string; digests: string[] }> {
  // The "training" checkout writes to a plain local store (as before a shared store was configured).
  const root = await checkout(artifacts);
  const store = openArtifactStore(root, { type: 'local', path: local });
  writeFile(root, 'model/model.json', '{"format":"layers-model"}');
  writeFile(root, 'model/weights.bin', 'w'.repeat(1000));
  const model = await store.putDir(join(root, 'model'));
  writeFile(root, 'ts.parquet', 'p'.repeat(5000));
  const ts = await store.putFile(join(root, 'ts.parquet'));
  const profile = await store.putBytes(new TextEncoder().encode('{"profile":1}'));
  const v = modelVersion(1, 'champion', {
    artifact: { digest: model.digest, uri: model.uri },
    trainingSet: { digest: ts.digest, cutoff: '2026-05-01T00:00:00.000Z', rows: 10, uri: ts.uri },
    profile: { digest: profile.digest, uri: profile.uri },
  });
  const state = withLock(emptyLockState(), modelLock('churn', [v]));
  await writeLockChanges(root, 'state', diffLockStates(emptyLockState(), state, 'state'));
  return { root, digests: [model.digest, ts.digest, profile.digest] };
}

describe('rudder artifacts push | pull | verify (s3rver)', () => {
  test('push from an old local store, pull into a fresh checkout, verify; corruption and absence are reported per version', async () => {
    const prefix = `sync-${Math.random().toString(36).slice(2)}`;
    const s3yaml = `{ type: s3, bucket: ${s3.bucket}, prefix: ${prefix}, endpoint: "${s3.endpoint}" }`;
    const { root } = await trainedCheckout(s3yaml, '.rudder/artifacts');

    // Before the push the bucket has nothing: verify says what is missing, per resource and version.
    const before = await artifactsVerify({ cwd: root });
    expect(before.ok).toBe(false);
    expect(before.items.map((i) => [i.resource, i.version, i.role, i.status])).toEqual([
      ['model/churn', 1, 'model', 'missing'],
      ['model/churn', 1, 'training-set', 'missing'],
      ['model/churn', 1, 'profile', 'missing'],
    ]);

    // push reads the old local store (--from) and uploads model tree files, manifest, snapshot, profile.
    const progress: string[] = [];
    const pushed = await artifactsPush({
      cwd: root,
      from: ['.rudder/artifacts'],
      onProgress: (p) => progress.push(`${p.done}/${p.total} ${p.item.status}`),
    });
    expect(pushed.ok).toBe(true);
    expect(pushed.items.map((i) => [i.role, i.status, i.blobs])).toEqual([
      ['model', 'pushed', 3],
      ['training-set', 'pushed', 1],
      ['profile', 'pushed', 1],
    ]);
    expect(progress).toEqual(['1/3 pushed', '2/3 pushed', '3/3 pushed']);
    expect(
      (await artifactsPush({ cwd: root, from: ['.rudder/artifacts'] })).items.map((i) => i.status),
    ).toEqual(['present', 'present', 'present']);
    expect((await artifactsVerify({ cwd: root })).ok).toBe(true);

    // A fresh checkout (same rudder.yaml and lockfiles, no cache) pulls everything, verified.
    const fresh = await checkout(s3yaml);
    cpSync(join(root, 'state'), join(fresh, 'state'), { recursive: true });
    const pulled = await artifactsPull({ cwd: fresh });
    expect(pulled.ok).toBe(true);
    expect(pulled.items.map((i) => [i.role, i.status, i.blobs])).toEqual([
      ['model', 'pulled', 3],
      ['training-set', 'pulled', 1],
      ['profile', 'pulled', 1],
    ]);
    expect(pulled.bytes).toBeGreaterThan(6000);
    expect(readdirSync(join(fresh, '.rudder/cache/artifacts/sha256'))).not.toEqual([]);

    // Corrupt the training-set snapshot on the server: verify names it, exit 1 through the CLI.
    const hex = pushed.items[1]!.digest.slice(7);
    const objects = readdirSync(join(s3.directory, s3.bucket), { recursive: true }).map(String);
    const body = objects.find(
      (p) =>
        p.includes(`${prefix}/sha256/${hex.slice(0, 2)}/${hex.slice(2)}`) && p.endsWith('._S3rver_object'),
    )!;
    writeFileSync(join(s3.directory, s3.bucket, body), 'tampered');
    const out = io();
    expect(await artifactsCommand({ cwd: fresh, operation: 'verify', json: false }, out)).toBe(1);
    expect(out.out).toMatch(
      /model\/churn v1 training-set sha256:[0-9a-f]{12}\s+corrupt\n\s+s3:\/\/rudder-artifacts\/sync-\w+\/sha256\/.* does not hash to sha256:/,
    );
    expect(out.out).toMatch(/3 artifact\(s\), 1 missing, corrupt or unreachable/);
    expect(out.err).toMatch(/\[2\/3\] model\/churn v1 training-set .*: corrupt/);
  });

  test('a local store has no remote: pull in a fresh checkout reports what is missing and exits 1', async () => {
    const { root } = await trainedCheckout('{ type: local, path: .rudder/artifacts }', '.rudder/artifacts');
    const out = io();
    expect(await artifactsCommand({ cwd: root, operation: 'pull', json: false }, out)).toBe(0);
    expect(out.out).toMatch(/has no remote: pull only checks/);
    rmSync(join(root, '.rudder'), { recursive: true });
    const again = io();
    expect(await artifactsCommand({ cwd: root, operation: 'pull', json: true }, again)).toBe(1);
    const report = JSON.parse(again.out) as { ok: boolean; items: { status: string; detail: string }[] };
    expect(report.ok).toBe(false);
    expect(report.items.map((i) => i.status)).toEqual(['missing', 'missing', 'missing']);
    expect(report.items[0]!.detail).toMatch(/is not in the store at .*\.rudder\/artifacts/);
  });

  test('an unknown model is a clear error', async () => {
    const { root } = await trainedCheckout('{ type: local }', '.rudder/artifacts');
    await expect(
      artifactsCommand({ cwd: root, operation: 'verify', models: ['nosuch'], json: false }, io()),
    ).rejects.toThrow(/no model lock for nosuch in state\/models \(known: churn\)/);
  });
});
