// Every lockfile format change goes through this one module. Pure: plain values in and out.
//
// To change the format: change src/schema/lock.schema.json to the new shape (bumping its
// LockVersion, which is LOCK_VERSION), run `npm run schema:types`, and add
// `migrations[old] = (doc) => newDoc` here. Readers migrate older files in memory; the
// next write stores them at the current version (a normal, reviewable diff in git).
import { LOCK_VERSION } from './types.ts';

/** Turns a document at lockVersion n into one at n + 1 (and sets lockVersion to n + 1). */
export type Migration = (doc: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/** The first lockVersion ever written. */
export const FIRST_LOCK_VERSION = 1;

/** `migrations[n]` upgrades lockVersion n → n + 1. Empty while version 1 is the only format. */
export const migrations: Readonly<Record<number, Migration>> = {};

export type MigrationResult =
  | { ok: true; value: Record<string, unknown>; from: number; steps: number }
  | { ok: false; reason: 'newer' | 'invalid' | 'missing-step' | 'failed'; message: string };

/**
 * Upgrade `doc` (at `doc.lockVersion`) to `target`. Never mutates its input. `table` is a
 * parameter so the machinery is testable before a second format exists.
 */
export function migrateLock(
  doc: Readonly<Record<string, unknown>>,
  target: number = LOCK_VERSION,
  table: Readonly<Record<number, Migration>> = migrations,
): MigrationResult {
  const from = doc.lockVersion;
  if (typeof from !== 'number' || !Number.isInteger(from) || from < FIRST_LOCK_VERSION)
    return {
      ok: false,
      reason: 'invalid',
      message: `lockVersion must be an integer ≥ ${FIRST_LOCK_VERSION}, got ${JSON.stringify(from)}`,
    };
  if (from > target)
    return {
      ok: false,
      reason: 'newer',
      message: `lockVersion ${from} is newer than ${target}, the newest this Rudder understands`,
    };
  let cur: Record<string, unknown> = structuredClone(doc);
  for (let v = from; v < target; v++) {
    const step = table[v];
    if (!step)
      return { ok: false, reason: 'missing-step', message: `no migration from lockVersion ${v} to ${v + 1}` };
    try {
      cur = step(cur);
    } catch (e) {
      return {
        ok: false,
        reason: 'failed',
        message: `migration ${v} → ${v + 1} failed: ${(e as Error).message}`,
      };
    }
    if (cur.lockVersion !== v + 1)
      return {
        ok: false,
        reason: 'failed',
        message: `migration ${v} → ${v + 1} did not set lockVersion to ${v + 1}`,
      };
  }
  return { ok: true, value: cur, from, steps: target - from };
}
