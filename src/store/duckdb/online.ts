// The online table serving reads: the latest value per entity, kept in the store database as
// `online__<view>`, with `rudder_online_meta` remembering the view digest and watermark.
import type { DataPolicy, FeatureView } from '../../compiler/desired-state.ts';
import { type MaterializeResult, type OnlineRow, StoreError, type ViewFreshness } from '../port.ts';
import { digestFiles, resolveSource } from './files.ts';
import { enforcePolicies, policiesFor, type EnforceContext } from './policies.ts';
import { ident, isoOf, num } from './sql.ts';
import { featureStage, type Staged, stageSource } from './stage.ts';

export interface OnlineContext extends EnforceContext {
  root: string;
  policies: readonly DataPolicy[];
}

export const onlineTable = (view: string): string => `online__${view}`;
const STAGE = '__rudder_materialize';

/** Features that may be served: pii: true ones only with a training allow entry (serving feeds models). */
export function servableFeatures(
  view: FeatureView,
  policies: readonly DataPolicy[],
): FeatureView['features'] {
  return view.features.filter(
    (f) =>
      !f.pii ||
      policies.some((p) =>
        p.allow.some(
          (a) => a.training && a.view === view.name && (a.column === f.name || a.column === f.column),
        ),
      ),
  );
}

/**
 * Upsert the latest value per entity with an event time after `since` (the watermark from the
 * feature lock). A first run, `since` null, or a changed view digest rebuilds the table. Rows
 * that arrive late (event time at or before the watermark) are picked up by a full rebuild only.
 */
export async function materializeView(
  ctx: OnlineContext,
  view: FeatureView,
  since: string | null,
): Promise<MaterializeResult> {
  const what = `feature view "${view.name}"`;
  const source = await resolveSource(ctx.root, view.source, what);
  const policies = policiesFor(ctx.policies, view.name);
  const features = servableFeatures(view, ctx.policies);
  try {
    // Every declared column is scanned when a policy applies; only servable ones are written.
    const staged = await stageSource(ctx.db, {
      what,
      table: STAGE,
      source,
      entities: view.entities,
      timestamp: view.source.timestamp,
      features: policies.length > 0 ? view.features : features,
    });
    const enf = await enforcePolicies(ctx, staged, policies, {
      view: view.name,
      readColumns: new Set([...view.entities, ...features.map((f) => f.column)]),
      purpose: `materializing ${what}`,
    });
    const sourceDigest = await digestFiles(source.files);
    const table = ident(onlineTable(view.name));
    const full = await rebuildNeeded(ctx, view, since);
    const latest = latestRows(staged, features, full);

    return await inTransaction(ctx, async () => {
      const written = full
        ? await rebuildTable(ctx, table, staged, features, latest)
        : await upsertLatest(ctx, table, staged, features, latest, [since]);
      const after = await ctx.db.one(`SELECT count(*) AS n, max(__event_ts) AS w FROM ${table}`);
      const watermark = isoOf(after.w);
      await ctx.db.run(
        `INSERT OR REPLACE INTO rudder_online_meta VALUES ($1, $2, $3::TIMESTAMPTZ, $4, $5, now())`,
        [view.name, view.digest, watermark, num(after.n), sourceDigest],
      );
      return {
        view: view.name,
        rows: written,
        watermark,
        viewDigest: view.digest,
        onlineRows: num(after.n),
        sourceDigest,
        full,
        policies: {
          quarantines: enf.quarantines,
          hashedColumns: enf.hashed.map((c) => `${view.name}:${c}`),
          droppedColumns: enf.dropped.map((c) => `${view.name}:${c}`),
        },
      };
    });
  } finally {
    await ctx.db.run(`DROP TABLE IF EXISTS ${STAGE}`).catch(() => undefined);
  }
}

/** Run `fn` in a transaction: committed when it returns, rolled back when it (or the commit) throws. */
async function inTransaction<T>(ctx: OnlineContext, fn: () => Promise<T>): Promise<T> {
  await ctx.db.run('BEGIN TRANSACTION');
  try {
    const result = await fn();
    await ctx.db.run('COMMIT');
    return result;
  } catch (e) {
    await ctx.db.run('ROLLBACK').catch(() => undefined);
    throw e;
  }
}

/** A first run, a missing online table or a changed view digest rebuilds instead of upserting. */
async function rebuildNeeded(ctx: OnlineContext, view: FeatureView, since: string | null): Promise<boolean> {
  const meta = await ctx.db.all(`SELECT view_digest FROM rudder_online_meta WHERE view = $1`, [view.name]);
  const exists =
    (
      await ctx.db.all(`SELECT 1 FROM duckdb_tables() WHERE table_name = $1 AND NOT temporary`, [
        onlineTable(view.name),
      ])
    ).length > 0;
  return since == null || !exists || meta[0]?.view_digest !== view.digest;
}

/** The latest staged row per entity, in online columns; after the watermark ($1) unless `full`. */
function latestRows(staged: Staged, features: FeatureView['features'], full: boolean): string {
  return `SELECT ${[...staged.keys.map((k) => `${ident(k.stage)} AS ${ident(k.name)}`), '__ts AS __event_ts', ...features.map((f) => `${ident(featureStage(f.name))} AS ${ident(f.name)}`)].join(', ')}
      FROM ${STAGE} ${full ? '' : `WHERE __ts > $1::TIMESTAMPTZ`}
      QUALIFY row_number() OVER (PARTITION BY ${staged.keys.map((k) => ident(k.stage)).join(', ')} ORDER BY __ts DESC) = 1`;
}

const onlineColumnType = (t: string) =>
  ({
    int: 'BIGINT',
    float: 'DOUBLE',
    bool: 'BOOLEAN',
    category: 'VARCHAR',
    string: 'VARCHAR',
    timestamp: 'TIMESTAMPTZ',
  })[t] ?? 'VARCHAR';

/** Recreate the online table from `latest`; every row counts as written. */
async function rebuildTable(
  ctx: OnlineContext,
  table: string,
  staged: Staged,
  features: FeatureView['features'],
  latest: string,
): Promise<number> {
  const keys = staged.keys.map((k) => ident(k.name));
  await ctx.db.run(`DROP TABLE IF EXISTS ${table}`);
  await ctx.db.run(
    `CREATE TABLE ${table} (${[...staged.keys.map((k) => `${ident(k.name)} ${k.type} NOT NULL`), '__event_ts TIMESTAMPTZ NOT NULL', ...features.map((f) => `${ident(f.name)} ${onlineColumnType(f.type)}`), `PRIMARY KEY (${keys.join(', ')})`].join(', ')})`,
  );
  await ctx.db.run(`INSERT INTO ${table} ${latest}`);
  return num((await ctx.db.one(`SELECT count(*) AS n FROM ${table}`)).n);
}

/** Upsert the rows of `latest` newer than the online ones; returns how many those are. */
async function upsertLatest(
  ctx: OnlineContext,
  table: string,
  staged: Staged,
  features: FeatureView['features'],
  latest: string,
  params: unknown[],
): Promise<number> {
  const keys = staged.keys.map((k) => ident(k.name));
  const cols = [...keys, '__event_ts', ...features.map((f) => ident(f.name))];
  await ctx.db.run(`CREATE OR REPLACE TEMP TABLE __rudder_latest AS ${latest}`, params);
  const written = num(
    (
      await ctx.db.one(
        `SELECT count(*) AS n FROM __rudder_latest n LEFT JOIN ${table} o USING (${keys.join(', ')}) WHERE o.__event_ts IS NULL OR n.__event_ts > o.__event_ts`,
      )
    ).n,
  );
  await ctx.db.run(
    `INSERT INTO ${table} (${cols.join(', ')}) SELECT ${cols.join(', ')} FROM __rudder_latest
           ON CONFLICT (${keys.join(', ')}) DO UPDATE SET ${cols
             .filter((c) => !keys.includes(c))
             .map((c) => `${c} = excluded.${c}`)
             .join(', ')}
           WHERE excluded.__event_ts > ${table}.__event_ts`,
  );
  await ctx.db.run(`DROP TABLE __rudder_latest`);
  return written;
}

/** Newest event time and row count of a view's source (checked like any read). */
export async function viewFreshness(
  ctx: OnlineContext,
  view: FeatureView,
  now?: Date,
): Promise<ViewFreshness> {
  const what = `feature view "${view.name}"`;
  const source = await resolveSource(ctx.root, view.source, what);
  const table = '__rudder_freshness';
  try {
    await stageSource(ctx.db, {
      what,
      table,
      source,
      entities: view.entities,
      timestamp: view.source.timestamp,
      features: [],
      checkDuplicates: false,
    });
    const r = await ctx.db.one(`SELECT count(*) AS n, max(__ts) AS newest FROM ${table}`);
    const newestEvent = isoOf(r.newest);
    const out: ViewFreshness = {
      view: view.name,
      newestEvent,
      rows: num(r.n),
      sourceDigest: await digestFiles(source.files),
      files: source.files.map((f) => f.rel),
    };
    if (now) {
      out.ageMs = newestEvent == null ? null : now.getTime() - Date.parse(newestEvent);
      out.stale = out.ageMs == null || out.ageMs > view.freshness.maxAgeMs;
    }
    return out;
  } finally {
    await ctx.db.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  }
}

/** Values for serving, in the order asked; values older than the view's TTL read as missing. */
export async function readOnlineRows(
  ctx: OnlineContext,
  view: FeatureView,
  entities: readonly Record<string, string | number | bigint | boolean>[],
  now: Date,
): Promise<OnlineRow[]> {
  const name = onlineTable(view.name);
  const exists =
    (await ctx.db.all(`SELECT 1 FROM duckdb_tables() WHERE table_name = $1 AND NOT temporary`, [name]))
      .length > 0;
  if (!exists)
    throw new StoreError(
      'store/empty-source',
      `feature view "${view.name}" has not been materialized yet (apply a plan with feature.materialize first)`,
    );
  if (entities.length === 0) return [];
  const features = servableFeatures(view, ctx.policies);
  const params: unknown[] = [];
  const tuples = entities.map((e, i) => {
    const vals = view.entities.map((k) => {
      const v = e[k];
      if (v == null)
        throw new StoreError(
          'store/empty-key',
          `entity ${i} has no value for key "${k}" of feature view "${view.name}"`,
          { column: k },
        );
      params.push(String(v));
      return `$${params.length}`;
    });
    return `(${i}, ${vals.join(', ')})`;
  });
  const on = view.entities.map((k) => `CAST(o.${ident(k)} AS VARCHAR) = q.${ident(k)}`).join(' AND ');
  const rows = await ctx.db.all(
    `SELECT q.__i, o.__event_ts, ${features.map((f) => `o.${ident(f.name)}`).join(', ')}
     FROM (VALUES ${tuples.join(', ')}) q(__i, ${view.entities.map((k) => ident(k)).join(', ')}) LEFT JOIN ${ident(name)} o ON ${on} ORDER BY q.__i`,
    params,
  );
  return rows.map((r, i) => {
    const at = r.__event_ts instanceof Date ? r.__event_ts : null;
    const fresh = at != null && now.getTime() - at.getTime() <= view.ttlMs;
    const values: Record<string, unknown> = {};
    for (const f of features) {
      const v = fresh ? (r[f.name] ?? null) : null;
      values[f.name] =
        typeof v === 'bigint' && v <= BigInt(Number.MAX_SAFE_INTEGER) && v >= BigInt(Number.MIN_SAFE_INTEGER)
          ? Number(v)
          : v;
    }
    return { entity: { ...entities[i]! }, eventTime: fresh ? isoOf(at) : null, values };
  });
}
