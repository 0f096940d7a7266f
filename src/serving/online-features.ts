// Feature values for serving, from the online table that materialization writes.
//
// The default lookup keeps an in-memory snapshot of the online tables the served models read,
// taken with a short read-only open of the store's DuckDB file and retaken whenever a feature
// lock changes (a materialization was applied). Why not a query per request through the
// FeatureStore port's readOnline: the embedded store is one DuckDB file, which admits a single
// process while it is open for writing — a server holding it would lock every `rudder apply` and
// `rudder reconcile` out of materializing and training — and a query costs a millisecond where a
// map lookup costs microseconds. `StoreLookup` still goes through readOnline, for stores that
// serve many processes (a database server behind the same port).
import { DuckDBInstance } from '@duckdb/node-api';
import type { FeatureView } from '../compiler/desired-state.ts';
import type { FeatureStore, OnlineStore } from '../store/port.ts';

export type FeatureValue = number | string | boolean | null;

export interface OnlineValues {
  /** By feature name; null when missing or older than the view's TTL. */
  values: Record<string, FeatureValue>;
  /** ISO event time of the values, or null (no row, or expired). */
  eventTime: string | null;
}

export interface FeatureLookup {
  /** Values per entity, in order. `entities[i]` carries the view's entity key columns. */
  lookup(
    view: FeatureView,
    entities: readonly Record<string, string | number | boolean>[],
    now: Date,
  ): Promise<OnlineValues[]>;
  /**
   * Present on lookups that hold a copy of the online tables (a snapshot): retake it for these
   * views. The server calls it when a feature lock changed; lookups that query the store on each
   * request have nothing to retake.
   */
  refresh?(views: readonly FeatureView[]): Promise<{ rows: number; perView: Record<string, number> }>;
  close(): Promise<void>;
}

export class LookupError extends Error {
  override name = 'LookupError';
  constructor(
    message: string,
    /** The request field at fault (a missing entity key), when it is the caller's. */
    readonly field?: string,
  ) {
    super(message);
  }
}

const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;
const keyOf = (view: FeatureView, e: Record<string, unknown>): string =>
  view.entities.map((k) => String(e[k])).join('\u001f');

function entityKeyCheck(view: FeatureView, e: Record<string, unknown>): void {
  for (const k of view.entities)
    if (e[k] == null || e[k] === '')
      throw new LookupError(
        `entity key "${k}" is required to look up features of view "${view.name}"`,
        `entity.${k}`,
      );
}

interface ViewSnapshot {
  rows: Map<string, { at: number; values: Record<string, FeatureValue> }>;
}

/** The online tables in memory; `refresh()` retakes them (the server calls it when feature locks change). */
export class SnapshotLookup implements FeatureLookup {
  private views = new Map<string, ViewSnapshot>();

  constructor(
    /** Absolute path of the store's DuckDB file. */
    private readonly dbPath: string,
  ) {}

  /** Read every online table of `views` (read-only open, closed right after). */
  async refresh(views: readonly FeatureView[]): Promise<{ rows: number; perView: Record<string, number> }> {
    let instance: DuckDBInstance;
    try {
      instance = await DuckDBInstance.create(this.dbPath, { access_mode: 'READ_ONLY' });
    } catch (e) {
      throw new LookupError(
        `cannot open the feature store ${this.dbPath} to read the online tables: ${(e as Error).message.split('\n')[0]}`,
      );
    }
    const conn = await instance.connect();
    const next = new Map<string, ViewSnapshot>();
    let total = 0;
    const perView: Record<string, number> = {};
    try {
      await conn.run(`SET TimeZone = 'UTC'`);
      for (const view of views) {
        const table = `online__${view.name}`;
        const exists = await conn.runAndReadAll(`SELECT 1 FROM duckdb_tables() WHERE table_name = $1`, [
          table,
        ]);
        if (exists.getRows().length === 0) continue;
        const cols = (await conn.runAndReadAll(`DESCRIBE ${ident(table)}`))
          .getRowObjectsJS()
          .map((r) => (typeof r.column_name === 'string' ? r.column_name : ''));
        const features = view.features.filter((f) => cols.includes(f.name));
        const select = [
          ...view.entities.map((k) => `CAST(${ident(k)} AS VARCHAR) AS ${ident(`k:${k}`)}`),
          `epoch_ms(__event_ts)::DOUBLE AS __at`,
          ...features.map((f) =>
            f.type === 'timestamp'
              ? `strftime(${ident(f.name)}, '%Y-%m-%dT%H:%M:%S.%gZ') AS ${ident(f.name)}`
              : ident(f.name),
          ),
        ];
        const r = await conn.runAndReadAll(`SELECT ${select.join(', ')} FROM ${ident(table)}`);
        const rows = new Map<string, { at: number; values: Record<string, FeatureValue> }>();
        for (const row of r.getRowObjectsJS()) {
          const values: Record<string, FeatureValue> = {};
          for (const f of features) {
            const v = row[f.name];
            values[f.name] = v == null ? null : typeof v === 'bigint' ? Number(v) : (v as FeatureValue);
          }
          // Entity keys were cast to VARCHAR in the query.
          rows.set(view.entities.map((k) => row[`k:${k}`] as string).join('\u001f'), {
            at: Number(row.__at),
            values,
          });
        }
        next.set(view.name, { rows });
        total += rows.size;
        perView[view.name] = rows.size;
      }
    } finally {
      conn.closeSync();
      instance.closeSync();
    }
    this.views = next;
    return { rows: total, perView };
  }

  lookup(
    view: FeatureView,
    entities: readonly Record<string, string | number | boolean>[],
    now: Date,
  ): Promise<OnlineValues[]> {
    try {
      return Promise.resolve(this.lookupSync(view, entities, now));
    } catch (e) {
      return Promise.reject(e instanceof Error ? e : new Error(String(e)));
    }
  }

  lookupSync(
    view: FeatureView,
    entities: readonly Record<string, string | number | boolean>[],
    now: Date,
  ): OnlineValues[] {
    const snap = this.views.get(view.name);
    if (!snap)
      throw new LookupError(
        `feature view "${view.name}" has not been materialized (apply a plan with feature.materialize first)`,
      );
    const t = now.getTime();
    return entities.map((e) => {
      entityKeyCheck(view, e);
      const hit = snap.rows.get(keyOf(view, e));
      // Same rule as the store's readOnline: values older than the view's TTL read as missing.
      if (!hit || t - hit.at > view.ttlMs) return { values: {}, eventTime: null };
      return { values: hit.values, eventTime: new Date(hit.at).toISOString() };
    });
  }

  close(): Promise<void> {
    this.views.clear();
    return Promise.resolve();
  }
}

/** Lookups through the store's OnlineStore capability (one readOnline call per request and view). */
export class StoreLookup implements FeatureLookup {
  constructor(private readonly store: OnlineStore & Pick<FeatureStore, 'close'>) {}

  async lookup(
    view: FeatureView,
    entities: readonly Record<string, string | number | boolean>[],
    now: Date,
  ): Promise<OnlineValues[]> {
    for (const e of entities) entityKeyCheck(view, e);
    const rows = await this.store.readOnline(view, entities, { now });
    return rows.map((r) => {
      const values: Record<string, FeatureValue> = {};
      for (const [k, v] of Object.entries(r.values))
        values[k] =
          v == null
            ? null
            : typeof v === 'bigint'
              ? Number(v)
              : v instanceof Date
                ? v.toISOString()
                : (v as FeatureValue);
      return { values, eventTime: r.eventTime };
    });
  }

  close(): Promise<void> {
    return this.store.close();
  }
}
