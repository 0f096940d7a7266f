// Enforce DataPolicies on a staged source before anything reads it: scan with the policy's
// detectors, then quarantine (delete the rows from the stage and record them), hash or drop
// the column, or refuse the read (block). Findings in allow-listed columns are reported only.
import { BIGINT, LIST, listValue } from '@duckdb/node-api';
import type { DataPolicy } from '../../compiler/desired-state.ts';
import { type PiiViewScan, type QuarantineRecord, StoreError } from '../port.ts';
import { type Hit, scanStaged, textColumns } from '../pii/scan.ts';
import { quarantineOf, type QuarantineBook } from './quarantine.ts';
import { type Db, ident } from './sql.ts';
import type { Staged } from './stage.ts';

export interface EnforceOptions {
  /** The view name policies and allow entries use; `label:<model>` for a label source. */
  view: string;
  /** Source columns the caller will read (block refuses only those). */
  readColumns: ReadonlySet<string>;
  /** What is refused, for messages: `training model "churn"`, `materializing "activity"`. */
  purpose: string;
  /** Persist quarantine records (default true); false computes them only (a read-only scan). */
  record?: boolean;
  /** Delete quarantined rows and hash/drop columns in the stage (default true). */
  mutate?: boolean;
}

export interface Enforced {
  scans: { policy: string; scan: Omit<PiiViewScan, 'sourceDigest'> }[];
  quarantines: QuarantineRecord[];
  /** Rows deleted from the stage because an active quarantine holds them. */
  quarantinedRows: number;
  /** Source columns replaced by a salted hash, or emptied. */
  hashed: string[];
  dropped: string[];
}

export interface EnforceContext {
  db: Db;
  book: QuarantineBook;
  /** Loads (or creates) the salt, only when a hash action needs it. */
  salt: () => Promise<string>;
}

export async function enforcePolicies(
  ctx: EnforceContext,
  staged: Staged,
  policies: readonly DataPolicy[],
  opts: EnforceOptions,
): Promise<Enforced> {
  const out: Enforced = { scans: [], quarantines: [], quarantinedRows: 0, hashed: [], dropped: [] };
  if (policies.length === 0) return out;
  const acts: Actions = { exclude: new Set(), hashed: new Set(), dropped: new Set(), blocked: [] };
  for (const p of policies) await applyPolicy(ctx, staged, p, opts, out, acts);
  if (acts.blocked.length > 0) {
    throw new StoreError(
      'store/blocked',
      `${opts.purpose} refused: ${acts.blocked.join('; ')} (values are not shown). Remove the data, or add an allow entry with a reason.`,
    );
  }
  out.quarantinedRows = acts.exclude.size;
  for (const d of acts.dropped) acts.hashed.delete(d);
  out.hashed = [...acts.hashed].sort();
  out.dropped = [...acts.dropped].sort();
  if (opts.mutate === false)
    return { ...out, quarantines: out.quarantines.sort((a, b) => (a.id < b.id ? -1 : 1)) };
  await mutateStage(ctx, staged, acts);
  out.quarantines.sort((a, b) => (a.id < b.id ? -1 : 1));
  return out;
}

/** What the policies' findings ask of the stage, gathered over every policy before any is done. */
interface Actions {
  /** Stage positions (`__file * 2^32 + __row`) held by an active quarantine. */
  exclude: Set<bigint>;
  hashed: Set<string>;
  dropped: Set<string>;
  /** One message per refusal. */
  blocked: string[];
}

/** Scan with one policy; record its scan and quarantines in `out`, its other actions in `acts`. */
async function applyPolicy(
  ctx: EnforceContext,
  staged: Staged,
  p: DataPolicy,
  opts: EnforceOptions,
  out: Enforced,
  acts: Actions,
): Promise<void> {
  const isKeyOrLabel = (column: string) =>
    staged.keys.some((k) => k.name === column) || column === staged.labelColumn;
  const scan = await scanStaged(ctx.db, staged, opts.view, p);
  out.scans.push({
    policy: p.name,
    scan: {
      view: opts.view,
      scannedRows: scan.scannedRows,
      findings: scan.results.map((r) => ({
        column: r.column,
        detector: r.detector,
        rows: r.hits.length,
        allowed: r.allowed,
      })),
    },
  });
  for (const r of scan.results) {
    if (r.allowed) continue;
    const what = `${r.hits.length} row${r.hits.length === 1 ? '' : 's'} of column "${r.column}" match ${r.detector}`;
    switch (p.action) {
      case 'quarantine':
        for (const [file, hits] of groupByFile(r.hits)) {
          const id = quarantineOf(p.name, opts.view, staged.files[file]!.rel, r.column, r.detector, hits);
          const q =
            (opts.record ?? true)
              ? await ctx.book.record(id, hits)
              : {
                  ...id,
                  status: (await ctx.book.isReleased(id.id)) ? ('released' as const) : ('active' as const),
                };
          out.quarantines.push(q);
          if (q.status === 'active')
            for (const h of hits) acts.exclude.add(BigInt(h.file) * 4294967296n + BigInt(h.row));
        }
        break;
      case 'hash':
      case 'drop-column':
        if (isKeyOrLabel(r.column)) {
          if (opts.readColumns.has(r.column))
            acts.blocked.push(
              `DataPolicy "${p.name}" (${p.action}) cannot ${p.action === 'hash' ? 'hash' : 'drop'} ${r.column === staged.labelColumn ? 'the label' : 'entity key'} "${r.column}" of ${opts.view}: ${what}`,
            );
        } else (p.action === 'hash' ? acts.hashed : acts.dropped).add(r.column);
        break;
      case 'block':
        if (opts.readColumns.has(r.column))
          acts.blocked.push(`DataPolicy "${p.name}" blocks ${opts.view}: ${what}`);
        break;
    }
  }
}

/** Delete quarantined rows from the stage, then hash and empty columns. */
async function mutateStage(ctx: EnforceContext, staged: Staged, acts: Actions): Promise<void> {
  const cols = textColumns(staged);
  const t = ident(staged.table);
  if (acts.exclude.size > 0) {
    await ctx.db.run(
      `DELETE FROM ${t} WHERE __file::BIGINT * 4294967296 + __row IN (SELECT unnest($1))`,
      [listValue([...acts.exclude])],
      [LIST(BIGINT)],
    );
  }
  if (acts.hashed.size > 0) {
    const salt = await ctx.salt();
    await ctx.db.run(`SET VARIABLE rudder_pii_salt = $1`, [salt]);
    for (const column of acts.hashed) {
      const c = ident(cols.find((x) => x.column === column)!.stage);
      await ctx.db.run(
        `UPDATE ${t} SET ${c} = sha256(getvariable('rudder_pii_salt') || ${c}) WHERE ${c} IS NOT NULL`,
      );
    }
    await ctx.db.run(`RESET VARIABLE rudder_pii_salt`);
  }
  for (const column of acts.dropped)
    await ctx.db.run(`UPDATE ${t} SET ${ident(cols.find((x) => x.column === column)!.stage)} = NULL`);
}

function groupByFile(hits: readonly Hit[]): Map<number, Hit[]> {
  const m = new Map<number, Hit[]>();
  for (const h of hits) {
    const list = m.get(h.file) ?? [];
    list.push(h);
    m.set(h.file, list);
  }
  return new Map([...m.entries()].sort((a, b) => a[0] - b[0]));
}

/** Policies that scan a view (or, with `labels`, the label source of a model reading it). */
export function policiesFor(policies: readonly DataPolicy[], view: string): DataPolicy[] {
  return policies.filter((p) => p.views.includes(view));
}

export function labelPoliciesFor(
  policies: readonly DataPolicy[],
  modelViews: readonly string[],
): DataPolicy[] {
  return policies.filter((p) => p.scanLabels && p.views.some((v) => modelViews.includes(v)));
}
