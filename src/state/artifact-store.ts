import { createHash, randomUUID } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, open, readdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { dirname, join, relative, sep } from 'node:path';
import { canonicalJson } from '../util/canonical.ts';

/** A content-addressed artifact: `sha256:<hex>` and where it lives. */
export interface ArtifactRef {
  digest: string;
  /** `artifact://sha256/<hex>` for a blob, `artifact://sha256/<hex>?tree` for a directory manifest. */
  uri: string;
  size: number;
}

export class ArtifactError extends Error {
  override name = 'ArtifactError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

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
export class LocalArtifactStore {
  constructor(readonly root: string) {}

  private pathOf(hex: string): string {
    return join(this.root, 'sha256', hex.slice(0, 2), hex.slice(2));
  }

  async putBytes(bytes: Uint8Array): Promise<ArtifactRef> {
    const hex = createHash('sha256').update(bytes).digest('hex');
    const target = this.pathOf(hex);
    if (!(await exists(target))) await atomicWrite(target, bytes);
    return { digest: `sha256:${hex}`, uri: `artifact://sha256/${hex}`, size: bytes.byteLength };
  }

  async putFile(path: string): Promise<ArtifactRef> {
    return this.putBytes(await readFile(path));
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
    if (actual !== hex) throw new ArtifactError(`artifact ${digest} is corrupt: its content hashes to sha256:${actual}`);
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
    const manifest = JSON.parse(new TextDecoder().decode(await this.getBytes(digest))) as TreeManifest;
    if (manifest.kind !== 'rudder.artifact-tree' || manifest.version !== 1) throw new ArtifactError(`artifact ${digest} is not a directory manifest`);
    const written: string[] = [];
    for (const f of manifest.files) {
      if (f.path.split('/').some((s) => s === '..' || s === '') || f.path.startsWith('/')) throw new ArtifactError(`artifact ${digest} lists an unsafe path ${JSON.stringify(f.path)}`);
      const target = join(dest, ...f.path.split('/'));
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, await this.getBytes(f.digest));
      written.push(target);
    }
    return written;
  }

  async has(digest: string): Promise<boolean> {
    return exists(this.pathOf(parseDigest(digest)));
  }
}

function parseDigest(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new ArtifactError(`not an artifact digest: ${JSON.stringify(digest)}`);
  return m[1]!;
}

/** temp file in the same directory → write → fsync → rename → fsync the directory. */
export async function atomicWrite(target: string, data: Uint8Array | string): Promise<void> {
  await mkdir(dirname(target), { recursive: true });
  const tmp = `${target}.tmp-${process.pid}-${randomUUID().slice(0, 8)}`;
  const fh = await open(tmp, 'w', 0o644);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } catch (e) {
    await fh.close();
    await rm(tmp, { force: true });
    throw e;
  }
  await fh.close();
  try {
    await rename(tmp, target);
  } catch (e) {
    await rm(tmp, { force: true });
    throw e;
  }
  try {
    const dh = await open(dirname(target), 'r');
    await dh.sync().finally(() => dh.close());
  } catch {
    // Some file systems refuse fsync on directories; the rename is still atomic.
  }
}

async function listFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const e of await readdir(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) out.push(...(await listFiles(p)));
    else if (e.isFile()) out.push(p);
    else if (e.isSymbolicLink()) throw new ArtifactError(`${p} is a symbolic link; artifacts hold plain files only`);
  }
  return out;
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
