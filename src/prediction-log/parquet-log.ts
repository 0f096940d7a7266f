// The embedded PredictionLog: rotated Parquet files under `.rudder/predictions/`.
//
// Why Parquet segments and not a DuckDB database file: a DuckDB file admits one writing process
// and no other reader while it is open, but the log is written by `rudder serve` while
// `rudder reconcile`, `rudder drift` and monitoring read it from other processes. Immutable
// Parquet segments, each written to a temporary name and renamed into place, can be read by any
// number of processes at any time (DuckDB, pandas, Spark), and never need a lock.
//
// Layout: <dir>/<kind>/model=<name>/date=<YYYY-MM-DD>/part-<ms>-<pid>-<seq>.parquet, kind being
// `predictions` or `labels` (hive partitioning). Appends are buffered in memory and written as
// one segment per model and day on flush: every `flushIntervalMs`, when `batchSize` rows are
// waiting, on flush() and on close(). Memory is bounded: append() waits for a flush when
// `maxBuffered` rows are waiting. A partition with more than `compactAt` segments is merged into
// one, so the file count stays small under steady traffic.
import { mkdir, readdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { PendingLines } from './pending-lines.ts';
import type { EntityKey, LabelRecord, LogWindow, PredictionLog, PredictionRecord } from './port.ts';

export const DEFAULT_PREDICTION_LOG_DIR = '.rudder/predictions';

export interface ParquetLogOptions {
  /** Absolute directory of the log. */
  dir: string;
  /** Rows that trigger a flush. Default 5000. */
  batchSize?: number;
  /** Longest a row waits in memory. Default 1000 ms. */
  flushIntervalMs?: number;
  /** append() waits for a flush above this many buffered rows. Default 50,000. */
  maxBuffered?: number;
  /** Segments per partition that trigger a merge. Default 32. */
  compactAt?: number;
  /** A background flush failed (the rows stay buffered and are retried). */
  onError?: (err: Error) => void;
}

export class PredictionLogError extends Error {
  override name = 'PredictionLogError';
}

type Kind = 'predictions' | 'labels';

const lit = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const SAFE_NAME = /^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$/;

function checkModel(model: string): void {
  // The model name becomes a directory name: refuse anything that could escape the log folder.
  if (!SAFE_NAME.test(model))
    throw new PredictionLogError(`model name ${JSON.stringify(model)} cannot name a log partition`);
}

/** A VARCHAR column's value; anything else means the segment was not written by this log. */
function varchar(v: unknown): string {
  if (typeof v !== 'string')
    throw new PredictionLogError(`a log segment holds ${typeof v} where text belongs`);
  return v;
}

const day = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

let seq = 0;

/**
 * A row encoded as its NDJSON line when it is appended: that spreads the cost (a few microseconds
 * a row) over the requests, where encoding a second's worth at flush time stalled the server's
 * event loop for ~10 ms once a second. The line goes straight into PendingLines' off-heap bytes.
 */
interface Encoded {
  /** `<model>\u0000<YYYY-MM-DD>`: the segment the row goes to. */
  partition: string;
  line: string;
}

export class ParquetPredictionLog implements PredictionLog {
  private predictions = new PendingLines();
  private labels = new PendingLines();
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | undefined;
  private db: Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> | undefined;
  private closed = false;
  private readonly batchSize: number;
  private readonly maxBuffered: number;
  private readonly compactAt: number;
  /** Rows written to segments since open (for metrics and tests). */
  written = 0;

  constructor(private readonly opts: ParquetLogOptions) {
    this.batchSize = opts.batchSize ?? 5000;
    this.maxBuffered = opts.maxBuffered ?? 50_000;
    this.compactAt = opts.compactAt ?? 32;
    const every = opts.flushIntervalMs ?? 1000;
    this.timer = setInterval(() => {
      if (this.buffered > 0) this.flush().catch((e: unknown) => this.opts.onError?.(e as Error));
    }, every);
    // The timer must not keep a CLI process alive; close() flushes what is left.
    this.timer.unref();
  }

  get buffered(): number {
    return this.predictions.rows + this.labels.rows;
  }

  async append(records: readonly PredictionRecord[]): Promise<void> {
    if (this.closed) throw new PredictionLogError('the prediction log is closed');
    for (const r of records) checkModel(r.model);
    for (const r of records) {
      const e = encodePrediction(r);
      this.predictions.push(e.partition, e.line);
    }
    await this.afterAppend();
  }

  async appendLabels(labels: readonly LabelRecord[]): Promise<void> {
    if (this.closed) throw new PredictionLogError('the prediction log is closed');
    for (const r of labels) checkModel(r.model);
    for (const r of labels) {
      const e = encodeLabel(r);
      this.labels.push(e.partition, e.line);
    }
    await this.afterAppend();
  }

  private async afterAppend(): Promise<void> {
    if (this.buffered >= this.maxBuffered) await this.flush();
    else if (this.buffered >= this.batchSize && !this.flushing)
      this.flush().catch((e: unknown) => this.opts.onError?.(e as Error));
  }

  /** Write every buffered row to segments; resolves when they are durable (renamed into place). */
  flush(): Promise<void> {
    // One flush at a time; a flush asked for during one runs right after it.
    const run = async (): Promise<void> => {
      const preds = this.predictions.take();
      const labels = this.labels.take();
      try {
        if (preds.rows > 0) await this.writeSegments('predictions', preds);
      } catch (e) {
        this.predictions.restore(preds);
        this.labels.restore(labels);
        throw e;
      }
      try {
        if (labels.rows > 0) await this.writeSegments('labels', labels);
      } catch (e) {
        this.labels.restore(labels);
        throw e;
      }
    };
    const prev = this.flushing ?? Promise.resolve();
    const next = prev.catch(() => undefined).then(run);
    // The caller gets `next` and its failure; the bookkeeping copy must never reject, or a failed
    // flush would also be an unhandled rejection (which ends a Node process).
    const tracked: Promise<void> = next.then(
      () => undefined,
      () => undefined,
    );
    void tracked.then(() => {
      if (this.flushing === tracked) this.flushing = undefined;
    });
    this.flushing = tracked;
    return next;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.flush();
    this.closed = true;
    if (this.db) {
      const { instance, conn } = await this.db;
      conn.closeSync();
      instance.closeSync();
    }
  }

  private connection(): Promise<{ instance: DuckDBInstance; conn: DuckDBConnection }> {
    return (this.db ??= (async () => {
      const instance = await DuckDBInstance.create(':memory:', { threads: '1' });
      const conn = await instance.connect();
      await conn.run(`SET TimeZone = 'UTC'`);
      return { instance, conn };
    })());
  }

  private partitionDir(kind: Kind, model: string, date: string): string {
    return join(this.opts.dir, kind, `model=${model}`, `date=${date}`);
  }

  private async writeSegments(kind: Kind, pending: PendingLines): Promise<void> {
    const { conn } = await this.connection();
    for (const [k, { bytes, rows }] of [...pending.partitions()]) {
      const [model, date] = k.split('\u0000') as [string, string];
      const dir = this.partitionDir(kind, model, date);
      await mkdir(dir, { recursive: true });
      const name = `part-${Date.now()}-${process.pid}-${(seq++).toString().padStart(6, '0')}.parquet`;
      const tmp = join(dir, `.${name}.tmp`);
      await copyNdjson(conn, bytes, tmp, COLUMNS[kind]);
      await rename(tmp, join(dir, name));
      // Durable now: if a later partition fails, the retry must not write these rows again.
      pending.drop(k);
      this.written += rows;
      await this.maybeCompact(conn, dir);
    }
  }

  private async maybeCompact(conn: DuckDBConnection, dir: string): Promise<void> {
    const parts = (await readdir(dir)).filter((f) => f.startsWith('part-') && f.endsWith('.parquet')).sort();
    if (parts.length <= this.compactAt) return;
    const name = `part-${Date.now()}-${process.pid}-${(seq++).toString().padStart(6, '0')}-merged.parquet`;
    const tmp = join(dir, `.${name}.tmp`);
    const files = parts.map((f) => lit(join(dir, f))).join(', ');
    await conn.run(
      `COPY (SELECT * FROM read_parquet([${files}], union_by_name = true)) TO ${lit(tmp)} (FORMAT parquet, COMPRESSION zstd)`,
    );
    await rename(tmp, join(dir, name));
    // Readers that listed the old segments a moment ago retry once (see read()).
    for (const f of parts) await rm(join(dir, f), { force: true });
  }

  async readPredictions(window: LogWindow): Promise<PredictionRecord[]> {
    checkModel(window.model);
    const from = window.from.getTime();
    const to = window.to.getTime();
    const inWindow = (r: { at: string; model: string; version?: number }): boolean => {
      const t = Date.parse(r.at);
      return (
        r.model === window.model &&
        t >= from &&
        t < to &&
        (window.version == null || r.version === window.version)
      );
    };
    const stored = await this.read('predictions', window, async (conn, files) => {
      const rd = await conn.runAndReadAll(
        // `*`, not a column list: segments written before the shadow columns existed have none,
        // and naming one that no file has is an error (union_by_name fills it in when some do).
        `SELECT * EXCLUDE ("at"), epoch_ms("at")::DOUBLE AS at_ms
         FROM read_parquet([${files}], union_by_name = true, hive_partitioning = false)
         WHERE "at" >= to_timestamp(${from / 1000}) AND "at" < to_timestamp(${to / 1000})
         ${window.version != null ? `AND version = ${Number(window.version)}` : ''}
         ORDER BY "at", request_id`,
      );
      return rd.getRowObjectsJS().map(predictionFromRow);
    });
    // Rows of this process not yet flushed are part of the log too.
    const pending = this.predictions.lines().map((l) => predictionFromRow(JSON.parse(l) as Row));
    return [...stored, ...pending.filter(inWindow)];
  }

  async readLabels(window: LogWindow): Promise<LabelRecord[]> {
    checkModel(window.model);
    const from = window.from.getTime();
    const to = window.to.getTime();
    const stored = await this.read('labels', window, async (conn, files) => {
      const rd = await conn.runAndReadAll(
        `SELECT epoch_ms("at")::DOUBLE AS at_ms, model, entity, label
         FROM read_parquet([${files}], union_by_name = true, hive_partitioning = false)
         WHERE "at" >= to_timestamp(${from / 1000}) AND "at" < to_timestamp(${to / 1000})
         ORDER BY "at"`,
      );
      return rd.getRowObjectsJS().map(labelFromRow);
    });
    return [
      ...stored,
      ...this.labels
        .lines()
        .map((l) => labelFromRow(JSON.parse(l) as Row))
        .filter((l) => {
          const t = Date.parse(l.at);
          return l.model === window.model && t >= from && t < to;
        }),
    ];
  }

  /** Segments of the window's days; listing again once if a merge removed one meanwhile. */
  private async read<T>(
    kind: Kind,
    window: LogWindow,
    query: (conn: DuckDBConnection, files: string) => Promise<T[]>,
  ): Promise<T[]> {
    const { conn } = await this.connection();
    for (let attempt = 0; ; attempt++) {
      const files: string[] = [];
      const first = Date.parse(`${day(window.from.getTime())}T00:00:00Z`);
      for (let t = first; t < window.to.getTime(); t += 86_400_000) {
        const dir = this.partitionDir(kind, window.model, day(t));
        let names: string[];
        try {
          names = await readdir(dir);
        } catch {
          continue;
        }
        for (const f of names.sort())
          if (f.startsWith('part-') && f.endsWith('.parquet')) files.push(join(dir, f));
      }
      if (files.length === 0) return [];
      try {
        return await query(conn, files.map(lit).join(', '));
      } catch (e) {
        if (
          attempt < 2 &&
          /No files found|No such file|Cannot open file|could not be opened/i.test(String(e))
        )
          continue;
        throw new PredictionLogError(
          `cannot read the ${kind} log under ${this.opts.dir}: ${(e as Error).message.split('\n')[0]}`,
          {
            cause: e,
          },
        );
      }
    }
  }
}

/** Open the embedded log of a repository (`<root>/.rudder/predictions` unless `dir` says otherwise). */
export function openPredictionLog(root: string, opts: Partial<ParquetLogOptions> = {}): ParquetPredictionLog {
  return new ParquetPredictionLog({ ...opts, dir: opts.dir ?? join(root, DEFAULT_PREDICTION_LOG_DIR) });
}

// Why NDJSON and not DuckDB's Appender: every Appender call, and its flushSync, runs on the
// calling thread — about 10 ms per 1,000 rows, a stall the server's event loop felt once a second
// as a p99 spike. Rows are encoded one by one as they are appended; a flush only joins strings,
// the file write runs on libuv's pool and the parse, sort and zstd encode on DuckDB's threads.
// Nested values are encoded to JSON text first so the segment columns stay VARCHAR, as readers
// expect, whatever their content.

const ISO_UTC = /^\d{4}-\d{2}-\d{2}T[^Z]*Z$/;
/** The partition of a row: model and UTC day (from the ISO text when it is already UTC). */
const partitionOf = (model: string, at: string): string =>
  `${model}\u0000${ISO_UTC.test(at) ? at.slice(0, 10) : day(Date.parse(at))}`;

function encodePrediction(r: PredictionRecord): Encoded {
  return {
    partition: partitionOf(r.model, r.at),
    line: JSON.stringify({
      request_id: r.requestId,
      at_ms: Date.parse(r.at),
      model: r.model,
      version: r.version,
      entity: JSON.stringify(r.entity),
      features: JSON.stringify(r.features),
      score: r.score == null || !Number.isFinite(r.score) ? null : r.score,
      latency_ms: r.latencyMs,
      error: r.error ?? null,
      shadow_version: r.shadow?.version ?? null,
      shadow_score: r.shadow != null && Number.isFinite(r.shadow.score) ? r.shadow.score : null,
    }),
  };
}

function encodeLabel(r: LabelRecord): Encoded {
  return {
    partition: partitionOf(r.model, r.at),
    line: JSON.stringify({
      at_ms: Date.parse(r.at),
      model: r.model,
      entity: JSON.stringify(r.entity),
      label: JSON.stringify(r.label),
    }),
  };
}

/** A segment row, or a buffered line parsed back: the same column names either way. */
type Row = Record<string, unknown>;

function predictionFromRow(r: Row): PredictionRecord {
  return {
    requestId: varchar(r.request_id),
    at: new Date(Number(r.at_ms)).toISOString(),
    model: varchar(r.model),
    version: Number(r.version),
    entity: JSON.parse(varchar(r.entity)) as EntityKey,
    features: JSON.parse(varchar(r.features)) as PredictionRecord['features'],
    score: r.score == null ? null : Number(r.score),
    latencyMs: Number(r.latency_ms),
    ...(r.error != null ? { error: varchar(r.error) } : {}),
    ...(r.shadow_version != null && r.shadow_score != null
      ? { shadow: { version: Number(r.shadow_version), score: Number(r.shadow_score) } }
      : {}),
  };
}

function labelFromRow(r: Row): LabelRecord {
  return {
    at: new Date(Number(r.at_ms)).toISOString(),
    model: varchar(r.model),
    entity: JSON.parse(varchar(r.entity)) as EntityKey,
    label: JSON.parse(varchar(r.label)) as LabelRecord['label'],
  };
}

/** The NDJSON columns of each kind, and the segment's columns selected from them. */
const COLUMNS: Record<Kind, { types: string; select: string }> = {
  predictions: {
    types: `{request_id: 'VARCHAR', at_ms: 'DOUBLE', model: 'VARCHAR', version: 'INTEGER', entity: 'VARCHAR', features: 'VARCHAR', score: 'DOUBLE', latency_ms: 'DOUBLE', error: 'VARCHAR', shadow_version: 'INTEGER', shadow_score: 'DOUBLE'}`,
    select: `request_id, make_timestamptz((at_ms * 1000)::BIGINT) AS "at", model, version, entity, features, score, latency_ms, error, shadow_version, shadow_score`,
  },
  labels: {
    types: `{at_ms: 'DOUBLE', model: 'VARCHAR', entity: 'VARCHAR', label: 'VARCHAR'}`,
    select: `make_timestamptz((at_ms * 1000)::BIGINT) AS "at", model, entity, label`,
  },
};

/** Stage the NDJSON beside `path`, then have DuckDB write the Parquet segment from it. */
async function copyNdjson(
  conn: DuckDBConnection,
  ndjson: Buffer,
  path: string,
  columns: { types: string; select: string },
): Promise<void> {
  const staged = `${path}.ndjson`;
  await writeFile(staged, ndjson);
  try {
    await conn.run(
      `COPY (SELECT ${columns.select} FROM read_json(${lit(staged)}, format = 'newline_delimited', columns = ${columns.types}, maximum_object_size = 67108864) ORDER BY at_ms)
       TO ${lit(path)} (FORMAT parquet, COMPRESSION zstd)`,
    );
  } finally {
    await rm(staged, { force: true });
  }
}
