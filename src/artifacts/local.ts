import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import type { Project } from '../compiler/desired-state.ts';
import { canonicalJson } from '../util/canonical.ts';
import { atomicWrite, syncDir, TMP_MARKER } from '../state/atomic.ts';
import { pathExists } from '../util/fs.ts';
import { CachedArtifactStore } from './cached.ts';
import type { ArtifactRemote } from './remote.ts';
import { S3Remote } from './s3.ts';
import {
  ArtifactError,
  parseArtifactUri,
  parseDigest,
  parseTreeManifest,
  type ArtifactRef,
  type ArtifactStore,
  type TreeManifest,
} from './port.ts';

/**
 * Local content-addressed store (`.rudder/artifacts/sha256/ab/cdef…`). Writes go to a temporary
 * file, are fsynced, then renamed, so a blob under its digest is always complete. Every read
 * re-hashes and refuses content that does not match its name.
 */
export class LocalArtifactStore implements ArtifactStore {
  constructor(readonly root: string) {}

  get description(): string {
    return `local store at ${this.root}`;
  }

  private pathOf(hex: string): string {
    return join(this.root, 'sha256', hex.slice(0, 2), hex.slice(2));
  }

  async putBytes(bytes: Uint8Array): Promise<ArtifactRef> {
    const hex = createHash('sha256').update(bytes).digest('hex');
    const target = this.pathOf(hex);
    if (!(await pathExists(target))) await atomicWrite(target, bytes);
    return { digest: `sha256:${hex}`, uri: `artifact://sha256/${hex}`, size: bytes.byteLength };
  }

  /** Store a file, hashing while copying (large training sets never sit in memory whole). */
  async putFile(path: string): Promise<ArtifactRef> {
    try {
      // 1 MiB reads: a 100 MB file in 100 writes rather than 1,600.
      return await this.putStream(createReadStream(path, { highWaterMark: 1 << 20 }));
    } catch (e) {
      if (e instanceof ArtifactError) throw e;
      throw new ArtifactError(
        `cannot store ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        { cause: e, reason: 'io' },
      );
    }
  }

  /**
   * Store a stream's content, hashing while writing to a temporary file that is renamed into
   * place only when complete. With `expected` (a digest), content that hashes differently is
   * discarded and refused: `from` names where it came from in that error.
   */
  async putStream(
    source: AsyncIterable<Uint8Array>,
    expected?: { digest: string; from: string },
  ): Promise<ArtifactRef> {
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    const tmp = join(this.root, 'sha256', `.incoming${TMP_MARKER}${process.pid}-${randomUUID().slice(0, 8)}`);
    const h = createHash('sha256');
    let size = 0;
    const out = await open(tmp, 'w', 0o644);
    try {
      for await (const chunk of source) {
        h.update(chunk);
        size += chunk.byteLength;
        await out.write(chunk);
      }
      await out.sync();
    } catch (e) {
      await out.close();
      await rm(tmp, { force: true });
      throw e;
    }
    await out.close();
    const hex = h.digest('hex');
    if (expected && `sha256:${hex}` !== expected.digest) {
      await rm(tmp, { force: true });
      throw new ArtifactError(
        `artifact ${expected.digest} from ${expected.from} is corrupt: its content hashes to sha256:${hex}`,
        { reason: 'corrupt' },
      );
    }
    const target = this.pathOf(hex);
    if (await pathExists(target)) await rm(tmp, { force: true });
    else {
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      await syncDir(dirname(target));
    }
    return { digest: `sha256:${hex}`, uri: `artifact://sha256/${hex}`, size };
  }

  /** Remove a blob (a corrupt cache entry, before fetching it again). */
  async remove(digest: string): Promise<void> {
    await rm(this.pathOf(parseDigest(digest)), { force: true });
  }

  /** Where a blob is (or would be) stored; no check that it exists. */
  blobPath(digest: string): string {
    return this.pathOf(parseDigest(digest));
  }

  /** Store every file under `dir` and a canonical manifest; the manifest's digest names the tree. */
  async putDir(dir: string): Promise<ArtifactRef> {
    const files: TreeManifest['files'] = [];
    let total = 0;
    for (const abs of await listFiles(dir)) {
      const ref = await this.putFile(abs);
      files.push({ path: relative(dir, abs).split(sep).join('/'), digest: ref.digest, size: ref.size });
      total += ref.size;
    }
    files.sort((a, b) => (a.path < b.path ? -1 : 1));
    const manifest: TreeManifest = { kind: 'rudder.artifact-tree', version: 1, files };
    const ref = await this.putBytes(new TextEncoder().encode(canonicalJson(manifest)));
    return { digest: ref.digest, uri: `${ref.uri}?tree`, size: total };
  }

  /** The blob's bytes, verified against its digest. */
  async getBytes(digest: string): Promise<Uint8Array> {
    const hex = parseDigest(digest);
    let bytes: Buffer;
    try {
      bytes = await readFile(this.pathOf(hex));
    } catch (e) {
      const missing = (e as NodeJS.ErrnoException).code === 'ENOENT';
      throw new ArtifactError(
        missing
          ? `artifact ${digest} is not in the store at ${this.root}`
          : `cannot read artifact ${digest} in the store at ${this.root}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        { cause: e, reason: missing ? 'missing' : 'io' },
      );
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== hex)
      throw new ArtifactError(
        `artifact ${digest} in the store at ${this.root} is corrupt: its content hashes to sha256:${actual}`,
        { reason: 'corrupt' },
      );
    return bytes;
  }

  /** Verify a blob without loading it whole. */
  async verify(digest: string): Promise<boolean> {
    const hex = parseDigest(digest);
    const h = createHash('sha256');
    try {
      for await (const chunk of createReadStream(this.pathOf(hex))) h.update(chunk as Buffer);
    } catch {
      return false;
    }
    return h.digest('hex') === hex;
  }

  /** Write a stored tree into `dest` (which must not exist yet), verifying every file. */
  async getDir(digest: string, dest: string): Promise<string[]> {
    const manifest = parseTreeManifest(digest, await this.getBytes(digest));
    const written: string[] = [];
    for (const f of manifest.files) {
      const target = join(dest, ...f.path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, await this.getBytes(f.digest));
      written.push(target);
    }
    return written;
  }

  async has(digest: string): Promise<boolean> {
    return pathExists(this.pathOf(parseDigest(digest)));
  }

  /** Bytes of the artifact a lockfile's URI names (`artifact://sha256/<hex>`), verified. */
  async getByUri(uri: string): Promise<Uint8Array> {
    return this.getBytes(parseArtifactUri(uri).digest);
  }

  /**
   * Path of a stored blob after verifying it, for programs that read files (external trainers,
   * DuckDB). The file must not be modified.
   */
  async localPath(digest: string): Promise<string> {
    if (!(await this.verify(digest))) {
      if (!(await this.has(digest)))
        throw new ArtifactError(`artifact ${digest} is not in the store at ${this.root}`, {
          reason: 'missing',
        });
      throw new ArtifactError(
        `artifact ${digest} in the store at ${this.root} is corrupt: its content does not hash to its name`,
        { reason: 'corrupt' },
      );
    }
    return this.pathOf(parseDigest(digest));
  }
}

/**
 * The artifact store configured by rudder.yaml (spec.artifacts; the compiler's default is a local
 * store at .rudder/artifacts), resolved against the repository root: a local folder (possibly a
 * shared mount outside the repository), or an S3-compatible bucket behind a read-through cache.
 */
export function openArtifactStore(
  root: string,
  artifacts: Project['artifacts'] = { type: 'local', path: '.rudder/artifacts' },
): ArtifactStore & { readonly local: LocalArtifactStore; readonly remote?: ArtifactRemote } {
  if (artifacts.type === 's3')
    return new CachedArtifactStore(
      new LocalArtifactStore(resolve(root, artifacts.cache)),
      new S3Remote(artifacts),
    );
  const store = new LocalArtifactStore(resolve(root, artifacts.path));
  return Object.assign(store, { local: store });
}

export async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
    else if (e.isSymbolicLink())
      throw new ArtifactError(`${p} is a symbolic link; artifacts hold plain files only`);
  }
  return out;
}
