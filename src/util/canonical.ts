import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { InternalError } from '../diagnostics/diagnostic.ts';

/**
 * JSON with keys sorted at every level and no insignificant whitespace: equal values give
 * byte-identical text, which is what digests and lockfiles rely on. `undefined` fields are
 * dropped; non-finite numbers are a bug upstream and throw.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortValue(value, []));
}

export function sortValue(value: unknown, path: (string | number)[]): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new InternalError(`non-finite number at ${path.join('.') || '(root)'}`);
    return Object.is(value, -0) ? 0 : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => (v === undefined ? null : sortValue(v, [...path, i])));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort()) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = sortValue(v, [...path, k]);
    }
    return out;
  }
  throw new InternalError(`cannot serialize ${typeof value} at ${path.join('.') || '(root)'}`);
}

export function sha256Hex(text: string): string {
  return bytesToHex(sha256(utf8ToBytes(text)));
}

/** `sha256:<hex>` of the canonical JSON of a value. */
export function digestOf(value: unknown): string {
  return `sha256:${sha256Hex(canonicalJson(value))}`;
}
