// A remote copy of the content-addressed store (S3-compatible today): what the read-through
// cache reads from, writes through to, and what `rudder artifacts push|pull|verify` sync with.

/** A remote holding blobs by digest. It never verifies: the cache does, on every read. */
export interface ArtifactRemote {
  /** For messages: `s3://bucket/prefix at http://127.0.0.1:9000`. No credential, ever. */
  readonly description: string;
  /** Where one blob lives, for messages: `s3://bucket/prefix/sha256/ab/cdef… (endpoint …)`. */
  locate(digest: string): string;
  has(digest: string): Promise<boolean>;
  /** The blob's bytes as a stream; ArtifactError (reason `missing`) when absent. */
  read(digest: string): Promise<AsyncIterable<Uint8Array>>;
  /** Upload a local file that holds the digest's content (already verified by the caller). */
  upload(digest: string, path: string, size: number): Promise<void>;
}
