import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import type { Project } from '../compiler/desired-state.ts';
import { canonicalJson } from '../util/canonical.ts';
import { atomicWrite, syncDir, TMP_MARKER } from '../state/atomic.ts';
import { pathExists } from '../util/fs.ts';
import { ArtifactError, parseArtifactUri, type ArtifactRef, type ArtifactStore } from './port.ts';

interface TreeManifest {
  kind: 'rudder.artifact-tree';
  version: 1;
  files: { path: string; digest: string; size: number }[];
}

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
    await mkdir(join(this.root, 'sha256'), { recursive: true });
    const tmp = join(this.root, 'sha256', `.incoming${TMP_MARKER}${process.pid}-${randomUUID().slice(0, 8)}`);
    const h = createHash('sha256');
    let size = 0;
    const out = await open(tmp, 'w', 0o644);
    try {
      for await (const chunk of createReadStream(path)) {
        const b = chunk as Buffer;
        h.update(b);
        size += b.byteLength;
        await out.write(b);
      }
      await out.sync();
    } catch (e) {
      await out.close();
      await rm(tmp, { force: true });
      throw new ArtifactError(
        `cannot store ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
        { cause: e },
      );
    }
    await out.close();
    const hex = h.digest('hex');
    const target = this.pathOf(hex);
    if (await pathExists(target)) await rm(tmp, { force: true });
    else {
      await mkdir(dirname(target), { recursive: true });
      await rename(tmp, target);
      await syncDir(dirname(target));
    }
    return { digest: `sha256:${hex}`, uri: `artifact://sha256/${hex}`, size };
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
      throw new ArtifactError(`artifact ${digest} is not in the store at ${this.root}`, { cause: e });
    }
    const actual = createHash('sha256').update(bytes).digest('hex');
    if (actual !== hex)
      throw new ArtifactError(`artifact ${digest} is corrupt: its content hashes to sha256:${actual}`);
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
    let manifest: TreeManifest;
    try {
      manifest = JSON.parse(new TextDecoder().decode(await this.getBytes(digest))) as TreeManifest;
    } catch (e) {
      if (e instanceof ArtifactError) throw e;
      throw new ArtifactError(`artifact ${digest} is not a directory manifest`);
    }
    if (manifest == null || manifest.kind !== 'rudder.artifact-tree' || manifest.version !== 1)
      throw new ArtifactError(`artifact ${digest} is not a directory manifest`);
    const written: string[] = [];
    for (const f of manifest.files) {
      if (f.path.split('/').some((s) => s === '..' || s === '') || f.path.startsWith('/'))
        throw new ArtifactError(`artifact ${digest} lists an unsafe path ${JSON.stringify(f.path)}`);
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
        throw new ArtifactError(`artifact ${digest} is not in the store at ${this.root}`);
      throw new ArtifactError(`artifact ${digest} is corrupt: its content does not hash to its name`);
    }
    return this.pathOf(parseDigest(digest));
  }
}

/**
 * The artifact store configured by rudder.yaml (spec.artifacts; the compiler's default is
 * .rudder/artifacts), resolved against the repository root.
 */
export function openArtifactStore(
  root: string,
  artifacts: Project['artifacts'] = { type: 'local', path: '.rudder/artifacts' },
): LocalArtifactStore {
  if (isAbsolute(artifacts.path)) return new LocalArtifactStore(artifacts.path);
  return new LocalArtifactStore(resolve(root, artifacts.path));
}

function parseDigest(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new ArtifactError(`not an artifact digest: ${JSON.stringify(digest)}`);
  return m[1]!;
}

async function listFiles(dir: string): Promise<string[]> {
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
