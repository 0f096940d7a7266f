// The artifact store port: content-addressed blobs and directory trees, verified on every read.
// Adapters: local (a path, possibly a shared mount) and S3-compatible (with a local read-through cache).

/** A content-addressed artifact: `sha256:<hex>` and where it lives. */
export interface ArtifactRef {
  digest: string;
  /** `artifact://sha256/<hex>` for a blob, `artifact://sha256/<hex>?tree` for a directory manifest. */
  uri: string;
  size: number;
}

/** Why an artifact could not be read or written: callers decide from this, never from the message. */
export type ArtifactFailure = 'missing' | 'corrupt' | 'unreachable' | 'denied' | 'invalid' | 'io';

export class ArtifactError extends Error {
  override name = 'ArtifactError';
  readonly reason: ArtifactFailure;
  constructor(message: string, options?: { cause?: unknown; reason?: ArtifactFailure }) {
    super(message, options);
    this.reason = options?.reason ?? 'invalid';
  }
}

/** A store of content-addressed artifacts. Every read verifies the content against its digest. */
export interface ArtifactStore {
  /** Where it is, for messages: `local store at /x`, `s3://bucket/prefix (cache .rudder/cache)`. */
  readonly description: string;
  putBytes(bytes: Uint8Array): Promise<ArtifactRef>;
  /** Store a file, streaming (large training sets never sit in memory whole). */
  putFile(path: string): Promise<ArtifactRef>;
  /** Store every file under `dir` and a canonical manifest; the manifest's digest names the tree. */
  putDir(dir: string): Promise<ArtifactRef>;
  getBytes(digest: string): Promise<Uint8Array>;
  /** Write a stored tree into `dest`, verifying every file; returns the files written. */
  getDir(digest: string, dest: string): Promise<string[]>;
  getByUri(uri: string): Promise<Uint8Array>;
  has(digest: string): Promise<boolean>;
  /** Re-hash the stored content; false when absent or corrupt. */
  verify(digest: string): Promise<boolean>;
  /** A verified local file with the blob's content (for external programs and DuckDB); do not modify it. */
  localPath(digest: string): Promise<string>;
}

/** `artifact://sha256/<hex>[?tree]` → its digest; ArtifactError for anything else. */
export function parseArtifactUri(uri: string): { digest: string; tree: boolean } {
  const m = /^artifact:\/\/sha256\/([0-9a-f]{64})(\?tree)?$/.exec(uri);
  if (!m)
    throw new ArtifactError(`not an artifact URI: ${JSON.stringify(uri)} (expected artifact://sha256/<hex>)`);
  return { digest: `sha256:${m[1]!}`, tree: m[2] != null };
}

/** `sha256:<hex>` → `<hex>`; ArtifactError for anything else. */
export function parseDigest(digest: string): string {
  const m = /^sha256:([0-9a-f]{64})$/.exec(digest);
  if (!m) throw new ArtifactError(`not an artifact digest: ${JSON.stringify(digest)}`);
  return m[1]!;
}

/** The canonical manifest a directory tree is stored as; its digest names the tree. */
export interface TreeManifest {
  kind: 'rudder.artifact-tree';
  version: 1;
  files: { path: string; digest: string; size: number }[];
}

/** Parse and check a tree manifest's bytes (safe relative paths, valid digests). */
export function parseTreeManifest(digest: string, bytes: Uint8Array): TreeManifest {
  let manifest: TreeManifest;
  try {
    manifest = JSON.parse(new TextDecoder().decode(bytes)) as TreeManifest;
  } catch {
    throw new ArtifactError(`artifact ${digest} is not a directory manifest`);
  }
  if (
    manifest == null ||
    manifest.kind !== 'rudder.artifact-tree' ||
    manifest.version !== 1 ||
    !Array.isArray(manifest.files)
  )
    throw new ArtifactError(`artifact ${digest} is not a directory manifest`);
  for (const f of manifest.files) {
    if (
      typeof f?.path !== 'string' ||
      f.path.split('/').some((s) => s === '..' || s === '') ||
      f.path.startsWith('/')
    )
      throw new ArtifactError(`artifact ${digest} lists an unsafe path ${JSON.stringify(f?.path)}`);
    parseDigest(f.digest);
  }
  return manifest;
}
