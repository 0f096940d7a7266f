import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { ArtifactError, parseArtifactUri } from '../../../src/artifacts/port.ts';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import { readProjectSettings } from '../../../src/source/settings.ts';
import { cleanupTemp, tempDir, writeFile } from '../../helpers/temp-repo.ts';

afterAll(cleanupTemp);

const sha = (b: Uint8Array | string) => createHash('sha256').update(b).digest('hex');

describe('content-addressed artifact store', () => {
  test('stores bytes under .rudder/artifacts/sha256/<2>/<62> by default and reads them back verified', async () => {
    const root = tempDir();
    const store = openArtifactStore(root);
    const ref = await store.putBytes(new TextEncoder().encode('weights'));
    expect(ref).toEqual({
      digest: `sha256:${sha('weights')}`,
      uri: `artifact://sha256/${sha('weights')}`,
      size: 7,
    });
    expect(
      existsSync(join(root, '.rudder/artifacts/sha256', sha('weights').slice(0, 2), sha('weights').slice(2))),
    ).toBe(true);
    expect(new TextDecoder().decode(await store.getByUri(ref.uri))).toBe('weights');
    // Idempotent: storing the same content again changes nothing.
    expect(await store.putBytes(new TextEncoder().encode('weights'))).toEqual(ref);
  });

  test('a large file is stored by streaming, with the digest of its content', async () => {
    const root = tempDir();
    const big = Buffer.alloc(3 * 1024 * 1024 + 7, 0x5a);
    writeFileSync(join(root, 'train.parquet'), big);
    const store = openArtifactStore(root);
    const ref = await store.putFile(join(root, 'train.parquet'));
    expect(ref.digest).toBe(`sha256:${sha(big)}`);
    expect(ref.size).toBe(big.byteLength);
    expect(await store.verify(ref.digest)).toBe(true);
    expect(readFileSync(await store.localPath(ref.digest)).equals(big)).toBe(true);
    // No temporary file is left behind.
    expect(readdirSync(join(root, '.rudder/artifacts/sha256')).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  test('reading a tampered artifact fails: its content no longer matches its name', async () => {
    const root = tempDir();
    const store = openArtifactStore(root);
    const ref = await store.putBytes(new TextEncoder().encode('model v1'));
    const hex = ref.digest.slice(7);
    writeFileSync(join(root, '.rudder/artifacts/sha256', hex.slice(0, 2), hex.slice(2)), 'model v2');
    await expect(store.getBytes(ref.digest)).rejects.toThrow(/is corrupt/);
    await expect(store.localPath(ref.digest)).rejects.toThrow(/is corrupt/);
    expect(await store.verify(ref.digest)).toBe(false);
    await expect(store.getBytes(`sha256:${'0'.repeat(64)}`)).rejects.toThrow(/is not in the store/);
  });

  test('a directory round-trips through its manifest', async () => {
    const root = tempDir();
    writeFile(root, 'model/model.json', '{"a":1}');
    writeFile(root, 'model/weights/w.bin', 'abc');
    const store = openArtifactStore(root);
    const ref = await store.putDir(join(root, 'model'));
    expect(ref.uri).toMatch(/^artifact:\/\/sha256\/[0-9a-f]{64}\?tree$/);
    expect(parseArtifactUri(ref.uri)).toEqual({ digest: ref.digest, tree: true });
    const out = join(root, 'restored');
    mkdirSync(out);
    const files = await store.getDir(ref.digest, out);
    expect(files.map((f) => f.slice(out.length + 1)).sort()).toEqual(['model.json', 'weights/w.bin']);
    expect(readFileSync(join(out, 'weights/w.bin'), 'utf8')).toBe('abc');
    const blob = await store.putBytes(new TextEncoder().encode('not a manifest'));
    await expect(store.getDir(blob.digest, out)).rejects.toThrow(/not a directory manifest/);
  });

  test('the location comes from rudder.yaml spec.artifacts.path', async () => {
    const root = tempDir();
    writeFile(
      root,
      'rudder.yaml',
      'apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: p }\nspec:\n  artifacts: { type: local, path: build/blobs }\n',
    );
    const settings = await readProjectSettings(root);
    expect(settings.diagnostics).toEqual([]);
    const store = openArtifactStore(root, settings.project.artifacts);
    const ref = await store.putBytes(new TextEncoder().encode('x'));
    expect(existsSync(join(root, 'build/blobs/sha256', ref.digest.slice(7, 9)))).toBe(true);
  });

  test('bad digests and URIs are clear errors', () => {
    expect(() => parseArtifactUri('s3://bucket/key')).toThrow(ArtifactError);
    expect(() => parseArtifactUri('artifact://sha256/xyz')).toThrow(/expected artifact:\/\/sha256\/<hex>/);
  });
});
