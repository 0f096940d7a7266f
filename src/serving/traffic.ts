// The traffic split: sticky by a hash of the entity key, so a customer sees the same version for
// as long as the weights stay the same (a step), and independent between models (the model name
// salts the hash). Pure.
import { entityKeyString, type EntityKey } from '../prediction-log/port.ts';

export interface WeightedVersion {
  version: number;
  weight: number;
}

/** FNV-1a, 32 bits: fast, stable across machines and Node versions, well spread for short keys. */
export function fnv1a(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  // A final avalanche (murmur3's fmix32): FNV's low bits alone correlate for keys c1, c2, …
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** A point in [0, 1) for this entity of this model. */
export function bucketOf(model: string, entity: EntityKey | string): number {
  const key = typeof entity === 'string' ? entity : entityKeyString(entity);
  return fnv1a(`${model}\u001f${key}`) / 4294967296;
}

/**
 * The version an entity is routed to: versions ascending, each owning a slice of [0, 1) as wide
 * as its weight. Undefined when no version has weight.
 */
export function pickVersion(versions: readonly WeightedVersion[], u: number): number | undefined {
  const live = versions.filter((v) => v.weight > 0);
  const total = live.reduce((s, v) => s + v.weight, 0);
  if (live.length === 0 || !(total > 0)) return undefined;
  let acc = 0;
  const x = u * total;
  for (const v of live) {
    acc += v.weight;
    if (x < acc) return v.version;
  }
  return live[live.length - 1]!.version;
}
