import { sha256 } from '@noble/hashes/sha2';
import { bytesToHex, utf8ToBytes } from '@noble/hashes/utils';
import { InternalError } from '../diagnostics/diagnostic.ts';

/**
 * JSON with keys sorted at every level and no insignificant whitespace: equal values give
 * byte-identical text, which is what digests and lockfiles rely on. `undefined` fields are
 * dropped; non-finite numbers are a bug upstream and throw.
 */
export function canonicalJson(value: unknown): string {
  const out = writeValue(value, '');
  if (out === undefined) throw new InternalError('cannot serialize undefined at (root)');
  return out;
}

// Serializes directly instead of building a sorted copy: digests of large policy sets are hot.
function writeValue(value: unknown, key: string): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'boolean':
      return value ? 'true' : 'false';
    case 'number':
      if (!Number.isFinite(value)) throw new InternalError(`non-finite number at ${key || '(root)'}`);
      return Object.is(value, -0) ? '0' : JSON.stringify(value);
    case 'undefined':
      return undefined;
    case 'object': {
      if (Array.isArray(value)) {
        let s = '[';
        for (let i = 0; i < value.length; i++)
          s += `${i ? ',' : ''}${writeValue(value[i], `${key}[${i}]`) ?? 'null'}`;
        return `${s}]`;
      }
      const keys = Object.keys(value).sort();
      let s = '{';
      let first = true;
      for (const k of keys) {
        const v = writeValue((value as Record<string, unknown>)[k], k);
        if (v === undefined) continue;
        s += `${first ? '' : ','}${JSON.stringify(k)}:${v}`;
        first = false;
      }
      return `${s}}`;
    }
    default:
      throw new InternalError(`cannot serialize ${typeof value} at ${key || '(root)'}`);
  }
}

/** A deep copy with keys sorted at every level (for canonical YAML and stable JSON output). */
export function sortValue(value: unknown): unknown {
  return JSON.parse(canonicalJson(value)) as unknown;
}

export type HashHex = (text: string) => string;

/** Pure-JS SHA-256; the I/O edge may pass node:crypto's instead (same output, faster). */
export const sha256Hex: HashHex = (text) => bytesToHex(sha256(utf8ToBytes(text)));

/** `sha256:<hex>` of the canonical JSON of a value. */
export function digestOf(value: unknown, hash: HashHex = sha256Hex): string {
  return `sha256:${hash(canonicalJson(value))}`;
}
