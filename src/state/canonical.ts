// The one canonical YAML serializer for state: keys in one fixed total order, 2-space indent,
// no folding, no block scalars, no anchors, trailing newline. Pure. Equal values give
// byte-identical text.
import { Document } from 'yaml';
import { InternalError } from '../diagnostics/diagnostic.ts';

// Keys a reader looks for first come first (a lockfile starts with what it is and which
// resource; a list entry with its id); every other key follows in code-point order.
const FIRST_KEYS = ['kind', 'lockVersion', 'name', 'view', 'model', 'policy', 'id', 'version', 'status'];
const rank = new Map(FIRST_KEYS.map((k, i) => [k, i]));

/** The canonical key order: FIRST_KEYS in that order, then the rest sorted by code point. */
export function compareKeys(a: string, b: string): number {
  const ra = rank.get(a) ?? FIRST_KEYS.length;
  const rb = rank.get(b) ?? FIRST_KEYS.length;
  if (ra !== rb) return ra - rb;
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Canonical YAML of a JSON-like value. Non-finite numbers throw (callers check first and
 * report a diagnostic); `-0` is written as `0`; `undefined` fields are dropped.
 */
export function renderCanonicalYaml(value: unknown): string {
  const doc = new Document(order(value, []), { version: '1.2', aliasDuplicateObjects: false });
  return doc.toString({
    indent: 2,
    indentSeq: true,
    lineWidth: 0,
    minContentWidth: 0,
    // Quoted strings instead of |/> blocks: exact round-trip of trailing spaces and newlines.
    blockQuote: false,
    nullStr: 'null',
    trueStr: 'true',
    falseStr: 'false',
  });
}

function order(value: unknown, path: (string | number)[]): unknown {
  if (value === null || typeof value === 'string' || typeof value === 'boolean') return value;
  if (typeof value === 'number') {
    if (!Number.isFinite(value))
      throw new InternalError(`non-finite number at ${path.join('.') || '(root)'}`);
    return Object.is(value, -0) ? 0 : value;
  }
  if (Array.isArray(value)) return value.map((v, i) => (v === undefined ? null : order(v, [...path, i])));
  if (typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const k of Object.keys(value).sort(compareKeys)) {
      const v = (value as Record<string, unknown>)[k];
      if (v !== undefined) out[k] = order(v, [...path, k]);
    }
    return out;
  }
  throw new InternalError(`cannot serialize ${typeof value} at ${path.join('.') || '(root)'}`);
}
