import { type DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';
import { InternalError } from '../../diagnostics/diagnostic.ts';

export const ident = (name: string): string => `"${name.replace(/"/g, '""')}"`;
export const lit = (value: string): string => `'${value.replace(/'/g, "''")}'`;

export type Row = Record<string, unknown>;

/** A DuckDB connection with the settings every query relies on (UTC rendering of TIMESTAMPTZ). */
export class Db {
  private constructor(
    readonly instance: DuckDBInstance,
    readonly conn: DuckDBConnection,
  ) {}

  static async open(path: string, threads?: number): Promise<Db> {
    const instance = await DuckDBInstance.create(path, threads ? { threads: String(threads) } : undefined);
    const conn = await instance.connect();
    const db = new Db(instance, conn);
    // Naive timestamps are read as UTC, and TIMESTAMPTZ renders in UTC, whatever the machine's zone.
    await db.run(`SET TimeZone = 'UTC'`);
    // Rows are identified by (__file, __row) and every output is ORDER BY'd: insertion order
    // need not be kept, which lets DuckDB load and aggregate in parallel with less memory.
    await db.run(`SET preserve_insertion_order = false`);
    return db;
  }

  async run(sql: string, params?: unknown[], types?: unknown[]): Promise<void> {
    await this.conn.run(sql, params as never, types as never);
  }

  /** Rows as plain JS values (BIGINT → bigint, TIMESTAMPTZ → Date). */
  async all(sql: string, params?: unknown[]): Promise<Row[]> {
    const r = await this.conn.runAndReadAll(sql, params as never);
    return r.getRowObjectsJS();
  }

  /** Rows with JSON-friendly values (BIGINT → string, TIMESTAMPTZ → text). */
  async json(sql: string, params?: unknown[]): Promise<Row[]> {
    const r = await this.conn.runAndReadAll(sql, params as never);
    return r.getRowObjectsJson();
  }

  async one(sql: string, params?: unknown[]): Promise<Row> {
    const rows = await this.all(sql, params);
    if (rows.length !== 1) throw new InternalError(`expected one row, got ${rows.length}`);
    return rows[0]!;
  }

  close(): void {
    this.conn.closeSync();
    this.instance.closeSync();
  }
}

/** The first line of a DuckDB error, without the SQL excerpt it appends. */
export function duckMessage(err: unknown): string {
  const m = err instanceof Error ? err.message : String(err);
  return m
    .split('\n')[0]!
    .replace(/^(Invalid Input|IO|Conversion|Binder|Parser) Error: /, '')
    .trim();
}

export function num(v: unknown): number {
  if (typeof v === 'bigint') return Number(v);
  if (typeof v === 'number') return v;
  if (v == null) return 0;
  return Number(v);
}

/** ISO-8601 with `Z` and milliseconds trimmed when zero. */
export function isoOf(v: unknown): string | null {
  if (v == null) return null;
  // DuckDB gives a Date for TIMESTAMPTZ; text is parsed as Date parses it.
  if (!(v instanceof Date) && typeof v !== 'string' && typeof v !== 'number' && typeof v !== 'bigint')
    throw new InternalError(`not a timestamp: ${typeof v}`);
  const d = v instanceof Date ? v : new Date(String(v));
  return d.toISOString().replace('.000Z', 'Z');
}
