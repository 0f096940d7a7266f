// Small text helpers for messages, shared so each message says things the same way. Pure.

/**
 * The first line of what was thrown: an error's message, or the thrown value as text. Library
 * errors (YAML, git, DuckDB) put a stack or a code frame after the first line.
 */
export function messageOf(e: unknown): string {
  const text =
    e != null && typeof (e as { message?: unknown }).message === 'string' ? (e as Error).message : String(e);
  return text.split('\n')[0] ?? text;
}

/** A `sha256:<hex>` digest as people read it in plans and comments: the first 12 hex digits. */
export function shortDigest(d: string): string {
  return d.slice(7, 19);
}
