// A remote store behind a local read-through cache. Reads are served from the cache when the
// cached blob still hashes to its name, otherwise fetched from the remote (hashed while it is
// written, refused when it does not match) and then read; writes go to the cache first and
// through to the remote before they return, so a lockfile never names an artifact that only
// one machine has.
import { createHash } from 'node:crypto';
import { stat } from 'node:fs/promises';
import {
  ArtifactError,
  parseArtifactUri,
  parseTreeManifest,
  type ArtifactRef,
  type ArtifactStore,
} from './port.ts';
import type { ArtifactRemote } from './remote.ts';

/** What the cache needs of the local store (LocalArtifactStore, src/artifacts/local.ts, is one). */
export interface LocalCache extends ArtifactStore {
  readonly root: string;
  putStream(
    source: AsyncIterable<Uint8Array>,
    expected?: { digest: string; from: string },
  ): Promise<ArtifactRef>;
  remove(digest: string): Promise<void>;
  blobPath(digest: string): string;
}

export class CachedArtifactStore<L extends LocalCache = LocalCache> implements ArtifactStore {
  constructor(
    readonly local: L,
    readonly remote: ArtifactRemote,
  ) {}

  get description(): string {
    return `${this.remote.description} (cache ${this.local.root})`;
  }

  async putBytes(bytes: Uint8Array): Promise<ArtifactRef> {
    const ref = await this.local.putBytes(bytes);
    await this.pushBlob(ref.digest, ref.size, true);
    return ref;
  }

  async putFile(path: string): Promise<ArtifactRef> {
    const ref = await this.local.putFile(path);
    await this.pushBlob(ref.digest, ref.size, true);
    return ref;
  }

  async putDir(dir: string): Promise<ArtifactRef> {
    const ref = await this.local.putDir(dir);
    const manifest = parseTreeManifest(ref.digest, await this.local.getBytes(ref.digest));
    for (const f of manifest.files) await this.pushBlob(f.digest, f.size);
    // The manifest goes last: a tree on the remote is complete once its manifest is there.
    await this.pushBlob(ref.digest);
    return ref;
  }

  async getBytes(digest: string): Promise<Uint8Array> {
    await this.fetch(digest);
    return this.local.getBytes(digest);
  }

  async getDir(digest: string, dest: string): Promise<string[]> {
    await this.fetchTree(digest);
    return this.local.getDir(digest, dest);
  }

  async getByUri(uri: string): Promise<Uint8Array> {
    return this.getBytes(parseArtifactUri(uri).digest);
  }

  async has(digest: string): Promise<boolean> {
    return (await this.local.verify(digest)) || this.remote.has(digest);
  }

  /** True when a verified copy exists: in the cache, or on the remote (hashed as it streams, not cached). */
  async verify(digest: string): Promise<boolean> {
    if (await this.local.verify(digest)) return true;
    return (await this.verifyRemote(digest)) === 'ok';
  }

  async localPath(digest: string): Promise<string> {
    await this.fetch(digest);
    return this.local.localPath(digest);
  }

  /** Re-hash the remote copy without caching it. */
  async verifyRemote(digest: string): Promise<'ok' | 'missing' | 'corrupt'> {
    let body: AsyncIterable<Uint8Array>;
    try {
      body = await this.remote.read(digest);
    } catch (e) {
      if (e instanceof ArtifactError && e.reason === 'missing') return 'missing';
      throw e;
    }
    const h = createHash('sha256');
    for await (const chunk of body) h.update(chunk);
    return `sha256:${h.digest('hex')}` === digest ? 'ok' : 'corrupt';
  }

  /**
   * Make sure the cache holds a verified copy of a blob, fetching it when absent or corrupt.
   * Returns whether it was fetched.
   */
  async fetch(digest: string): Promise<boolean> {
    if (await this.local.verify(digest)) return false;
    // A corrupt cached copy is dropped, never served.
    await this.local.remove(digest);
    const body = await this.remote.read(digest);
    await this.local.putStream(body, { digest, from: this.remote.locate(digest) });
    return true;
  }

  /** Fetch a tree's manifest and every file it lists. Returns how many blobs were fetched. */
  async fetchTree(digest: string): Promise<number> {
    let fetched = (await this.fetch(digest)) ? 1 : 0;
    const manifest = parseTreeManifest(digest, await this.local.getBytes(digest));
    for (const f of manifest.files) if (await this.fetch(f.digest)) fetched++;
    return fetched;
  }

  /**
   * Upload a cached blob unless the remote has it; the cached copy is verified first unless the
   * caller has just written (and hashed) it. Returns whether it was uploaded.
   */
  async pushBlob(digest: string, size?: number, justWritten = false): Promise<boolean> {
    if (await this.remote.has(digest)) return false;
    const path = justWritten ? this.local.blobPath(digest) : await this.local.localPath(digest);
    const bytes = size ?? (await stat(path)).size;
    await this.remote.upload(digest, path, bytes);
    return true;
  }
}
