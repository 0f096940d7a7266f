// One contract, two adapters: the local store and the S3 store (a real s3rver on 127.0.0.1)
// behind its read-through cache must behave the same to their callers.
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import { ArtifactError, type ArtifactStore } from '../../../src/artifacts/port.ts';
import type { ArtifactsSpec } from '../../../src/compiler/desired-state.ts';
import { readProjectSettings } from '../../../src/source/settings.ts';
import { startS3rver, useS3rverCredentials, type S3Endpoint } from '../../helpers/s3rver.ts';
import { cleanupTemp, tempDir, writeFile } from '../../helpers/temp-repo.ts';

// Made-up credentials, assembled at run time so no credential-shaped literal sits in the source.
const FAKE_KEY_ID = ['AKIA', 'WRONG'.repeat(3), '1'].join('');
const FAKE_KEY_ID2 = ['AKIA', 'TESTONLYNOTAKEY'].join('');
const FAKE_SECRET = ['fake', 'secret', 'never', 'real'].join('/');

let s3: S3Endpoint;
beforeAll(async () => {
  useS3rverCredentials();
  s3 = await startS3rver();
});
afterAll(async () => {
  await s3.close();
  cleanupTemp();
});

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');
const enc = (s: string) => new TextEncoder().encode(s);

interface Adapter {
  name: string;
  /** A store for a fresh checkout `root`; stores made for the same `shared` see the same content. */
  open(root: string, shared: string): ArtifactStore;
}

const adapters: Adapter[] = [
  {
    name: 'local (a shared folder outside the repository)',
    open: (root, shared) => openArtifactStore(root, { type: 'local', path: join(shared, 'store') }),
  },
  {
    name: 's3 (s3rver) with a read-through cache',
    open: (root, shared) =>
      openArtifactStore(root, {
        type: 's3',
        bucket: s3.bucket,
        prefix: `contract/${shared.split('/').pop()!}`,
        endpoint: s3.endpoint,
        region: 'us-east-1',
        forcePathStyle: true,
        cache: '.rudder/cache/artifacts',
      }),
  },
];

describe.each(adapters)('artifact store contract: $name', (adapter) => {
  test('bytes round-trip under their digest, idempotently, and another checkout reads them', async () => {
    const shared = tempDir();
    const a = adapter.open(tempDir(), shared);
    const ref = await a.putBytes(enc('weights'));
    expect(ref).toEqual({
      digest: `sha256:${sha('weights')}`,
      uri: `artifact://sha256/${sha('weights')}`,
      size: 7,
    });
    expect(await a.putBytes(enc('weights'))).toEqual(ref);
    const b = adapter.open(tempDir(), shared);
    expect(await b.has(ref.digest)).toBe(true);
    expect(await b.verify(ref.digest)).toBe(true);
    expect(new TextDecoder().decode(await b.getByUri(ref.uri))).toBe('weights');
  });

  test('a file is stored by streaming; localPath gives a verified copy', async () => {
    const shared = tempDir();
    const root = tempDir();
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    writeFileSync(join(root, 'train.parquet'), big);
    const ref = await adapter.open(root, shared).putFile(join(root, 'train.parquet'));
    expect(ref.digest).toBe(`sha256:${sha(big)}`);
    expect(ref.size).toBe(big.byteLength);
    const other = adapter.open(tempDir(), shared);
    expect(readFileSync(await other.localPath(ref.digest)).equals(big)).toBe(true);
  });

  test('a directory round-trips through its manifest, in another checkout too', async () => {
    const shared = tempDir();
    const root = tempDir();
    writeFile(root, 'model/model.json', '{"a":1}');
    writeFile(root, 'model/weights/w.bin', 'abc');
    const ref = await adapter.open(root, shared).putDir(join(root, 'model'));
    expect(ref.uri).toMatch(/^artifact:\/\/sha256\/[0-9a-f]{64}\?tree$/);
    const out = join(tempDir(), 'restored');
    mkdirSync(out);
    const files = await adapter.open(tempDir(), shared).getDir(ref.digest, out);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual(['model.json', 'weights/w.bin']);
    expect(readFileSync(join(out, 'weights/w.bin'), 'utf8')).toBe('abc');
  });

  test('a missing artifact is an ArtifactError with reason "missing"; has/verify say false', async () => {
    const store = adapter.open(tempDir(), tempDir());
    const absent = `sha256:${'0'.repeat(64)}`;
    expect(await store.has(absent)).toBe(false);
    expect(await store.verify(absent)).toBe(false);
    const err = await store.getBytes(absent).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ArtifactError);
    expect((err as ArtifactError).reason).toBe('missing');
    await expect(store.getDir(absent, tempDir())).rejects.toThrow(ArtifactError);
  });

  test('bad digests and non-manifests are refused', async () => {
    const store = adapter.open(tempDir(), tempDir());
    await expect(store.getBytes('sha256:xyz')).rejects.toThrow(/not an artifact digest/);
    const blob = await store.putBytes(enc('not a manifest'));
    await expect(store.getDir(blob.digest, tempDir())).rejects.toThrow(/not a directory manifest/);
  });
});

describe('s3 store: cache, errors, large files', () => {
  const spec = (over: Partial<Extract<ArtifactsSpec, { type: 's3' }>> = {}): ArtifactsSpec => ({
    type: 's3',
    bucket: s3.bucket,
    prefix: `errors/${Math.random().toString(36).slice(2)}`,
    endpoint: s3.endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    cache: '.rudder/cache/artifacts',
    ...over,
  });

  test('writes go through to the bucket; a corrupt cached copy is dropped and fetched again', async () => {
    const root = tempDir();
    const sp = spec();
    const store = openArtifactStore(root, sp);
    const ref = await store.putBytes(enc('champion'));
    const hex = ref.digest.slice(7);
    const cached = join(root, '.rudder/cache/artifacts/sha256', hex.slice(0, 2), hex.slice(2));
    expect(readFileSync(cached, 'utf8')).toBe('champion');
    // s3rver keeps objects as files under its folder: the bucket has the blob under prefix/sha256/ab/…
    expect(readdirSync(join(s3.directory, s3.bucket), { recursive: true }).join('\n')).toContain(
      hex.slice(2),
    );
    writeFileSync(cached, 'tampered');
    expect(new TextDecoder().decode(await store.getBytes(ref.digest))).toBe('champion');
    expect(readFileSync(cached, 'utf8')).toBe('champion');
  });

  test('a corrupt remote object is refused, naming where it came from, and never cached', async () => {
    const root = tempDir();
    const sp = spec();
    const writer = openArtifactStore(tempDir(), sp);
    const ref = await writer.putBytes(enc('model v1'));
    const hex = ref.digest.slice(7);
    // Corrupt the object on the "server": s3rver stores the body as <key>._S3rver_object.
    const objects = readdirSync(join(s3.directory, s3.bucket), { recursive: true }).map(String);
    const body = objects.find((p) => p.includes(hex.slice(2)) && p.endsWith('._S3rver_object'))!;
    writeFileSync(join(s3.directory, s3.bucket, body), 'model v2');
    const reader = openArtifactStore(root, sp);
    const err = (await reader.getBytes(ref.digest).catch((e: unknown) => e)) as ArtifactError;
    expect(err.reason).toBe('corrupt');
    expect(err.message).toContain(
      `s3://${s3.bucket}/${(sp as { prefix: string }).prefix}/sha256/${hex.slice(0, 2)}/`,
    );
    expect(err.message).toContain(s3.endpoint);
    expect(existsSync(join(root, '.rudder/cache/artifacts/sha256', hex.slice(0, 2), hex.slice(2)))).toBe(
      false,
    );
    expect(await reader.verify(ref.digest)).toBe(false);
  });

  test('a file larger than one part goes up as a multipart upload and comes back intact', async () => {
    const root = tempDir();
    const sp = spec();
    const { PART_SIZE } = await import('../../../src/artifacts/s3.ts');
    const big = Buffer.alloc(PART_SIZE + 12345);
    for (let i = 0; i < big.length; i += 4096) big[i] = (i / 4096) % 251;
    writeFileSync(join(root, 'big.bin'), big);
    const ref = await openArtifactStore(root, sp).putFile(join(root, 'big.bin'));
    const fresh = openArtifactStore(tempDir(), sp);
    expect(readFileSync(await fresh.localPath(ref.digest)).equals(big)).toBe(true);
  });

  test('missing object, missing bucket, unreachable endpoint and bad credentials: clear errors, no secret', async () => {
    const absent = `sha256:${'1'.repeat(64)}`;
    const missing = (await openArtifactStore(tempDir(), spec())
      .getBytes(absent)
      .catch((e: unknown) => e)) as ArtifactError;
    expect(missing.reason).toBe('missing');
    expect(missing.message).toMatch(
      /is missing from s3:\/\/rudder-artifacts\/errors\/\w+\/sha256\/11\/1+ \(endpoint http:\/\/127\.0\.0\.1:\d+\)/,
    );

    const noBucket = (await openArtifactStore(tempDir(), spec({ bucket: 'no-such-bucket' }))
      .getBytes(absent)
      .catch((e: unknown) => e)) as ArtifactError;
    expect(noBucket.message).toMatch(/bucket "no-such-bucket" does not exist at http:\/\/127\.0\.0\.1:\d+/);

    const closed = (await openArtifactStore(tempDir(), spec({ endpoint: 'http://127.0.0.1:1' }))
      .getBytes(absent)
      .catch((e: unknown) => e)) as ArtifactError;
    expect(closed.reason).toBe('unreachable');
    expect(closed.message).toMatch(/cannot reach the S3 endpoint http:\/\/127\.0\.0\.1:1 .*ECONNREFUSED/);

    const saved = { id: process.env.AWS_ACCESS_KEY_ID, secret: process.env.AWS_SECRET_ACCESS_KEY };
    process.env.AWS_ACCESS_KEY_ID = FAKE_KEY_ID;
    process.env.AWS_SECRET_ACCESS_KEY = 'very-secret-value-that-must-not-leak';
    try {
      const denied = (await openArtifactStore(tempDir(), spec())
        .putBytes(enc('x'))
        .catch((e: unknown) => e)) as ArtifactError;
      expect(denied.reason).toBe('denied');
      expect(denied.message).toMatch(
        /access denied checking s3:\/\/rudder-artifacts\/.*: HTTP 403; check the credentials the AWS chain provides/,
      );
      expect(denied.message).not.toContain('very-secret-value');
      expect(denied.message).not.toContain(FAKE_KEY_ID);
    } finally {
      process.env.AWS_ACCESS_KEY_ID = saved.id;
      process.env.AWS_SECRET_ACCESS_KEY = saved.secret;
    }
  });
});

describe('rudder.yaml spec.artifacts', () => {
  const project = (artifacts: string) =>
    `apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: p }\nspec:\n  artifacts: ${artifacts}\n`;

  test('s3 settings normalize with defaults (cache folder, path-style with an endpoint)', async () => {
    const root = tempDir();
    writeFile(
      root,
      'rudder.yaml',
      project('{ type: s3, bucket: ml-artifacts, prefix: /acme/churn/, endpoint: "http://127.0.0.1:9000/" }'),
    );
    const s = await readProjectSettings(root);
    expect(s.diagnostics).toEqual([]);
    expect(s.project.artifacts).toEqual({
      type: 's3',
      bucket: 'ml-artifacts',
      prefix: 'acme/churn',
      endpoint: 'http://127.0.0.1:9000',
      region: undefined,
      forcePathStyle: true,
      cache: '.rudder/cache/artifacts',
    });
  });

  test('a local store may live outside the repository (a shared mount)', async () => {
    const root = tempDir();
    const shared = tempDir();
    writeFile(root, 'rudder.yaml', project(`{ type: local, path: ${shared}/blobs }`));
    const s = await readProjectSettings(root);
    expect(s.diagnostics).toEqual([]);
    const ref = await openArtifactStore(root, s.project.artifacts).putBytes(enc('x'));
    expect(existsSync(join(shared, 'blobs/sha256', ref.digest.slice(7, 9)))).toBe(true);
  });

  test('s3 without a bucket is refused', async () => {
    const root = tempDir();
    writeFile(root, 'rudder.yaml', project('{ type: s3, endpoint: "http://127.0.0.1:9000" }'));
    const s = await readProjectSettings(root);
    expect(s.diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['schema/missing-field', 'missing required field "spec.artifacts.bucket"'],
    ]);
  });

  test('fields of the other store type are refused, naming the field', async () => {
    const root = tempDir();
    writeFile(root, 'rudder.yaml', project('{ type: local, path: x, bucket: ml-artifacts }'));
    expect((await readProjectSettings(root)).diagnostics.map((d) => [d.code, d.message])).toEqual([
      ['schema/unknown-field', '"spec.artifacts.bucket" does not apply here'],
    ]);
    writeFile(root, 'rudder.yaml', project('{ type: s3, bucket: ml-artifacts, path: x }'));
    const s3 = (await readProjectSettings(root)).diagnostics;
    expect(s3.map((d) => [d.code, d.message])).toEqual([
      ['schema/unknown-field', '"spec.artifacts.path" does not apply here'],
    ]);
    expect(s3[0]!.hint).toMatch(/path is for type local; bucket, .* are for type s3/);
  });

  test('credentials in rudder.yaml are refused by name, without echoing them', async () => {
    const root = tempDir();
    writeFile(
      root,
      'rudder.yaml',
      project(`{ type: s3, bucket: b1b, secretAccessKey: "${FAKE_SECRET}", accessKeyId: ${FAKE_KEY_ID2} }`),
    );
    const s = await readProjectSettings(root);
    expect(s.diagnostics.map((d) => d.code)).toEqual([
      'schema/credentials-in-file',
      'schema/credentials-in-file',
    ]);
    const text = JSON.stringify(s.diagnostics);
    expect(text).not.toContain(FAKE_SECRET);
    expect(text).not.toContain(FAKE_KEY_ID2);
    expect(s.diagnostics[0]!.span).toBeUndefined();
    expect(s.diagnostics[0]!.hint).toMatch(/standard AWS chain/);
  });

  test('an endpoint with credentials in its URL is refused', async () => {
    const root = tempDir();
    writeFile(
      root,
      'rudder.yaml',
      project('{ type: s3, bucket: b1b, endpoint: "http://key:secret@127.0.0.1:9000" }'),
    );
    const s = await readProjectSettings(root);
    expect(s.diagnostics.map((d) => d.path.join('.'))).toEqual(['spec.artifacts.endpoint']);
  });
});
