// Staging: read a source's files with DuckDB into a temporary table of canonical types, and
// refuse bad input with the file, column and first offending row. Every later step (training
// sets, materialization, PII scans, freshness) reads the staged table, never the raw files.
//
// Stage table layout: `__file` (index into `files`), `__row` (1-based data row in that file,
// header not counted), `k__<entity>`, `__ts` (TIMESTAMPTZ), `f__<feature>`, `__label` (raw).
import { open } from 'node:fs/promises';
import type { FeatureType } from '../../compiler/desired-state.ts';
import { StoreError } from '../port.ts';
import type { ResolvedSource, SourceFile } from './files.ts';
import { type Db, duckMessage, ident, lit, num } from './sql.ts';

export interface StageRequest {
  /** For messages: `feature view "activity"`, `the label source of model "churn"`. */
  what: string;
  table: string;
  source: ResolvedSource;
  entities: readonly string[];
  timestamp: string;
  features: readonly { name: string; column: string; type: FeatureType }[];
  /** Stage this column raw as `__label` (checked and cast by the training set). */
  labelColumn?: string;
  /** Refuse two rows with the same entity keys and timestamp. Default: true */
  checkDuplicates?: boolean;
}

export interface StagedKey {
  name: string;
  stage: string;
  type: 'BIGINT' | 'VARCHAR';
}

export interface StagedFeature {
  name: string;
  column: string;
  stage: string;
  type: FeatureType;
}

export interface Staged {
  what: string;
  table: string;
  files: SourceFile[];
  rows: number;
  keys: StagedKey[];
  features: StagedFeature[];
  /** DuckDB type of `__label` in the stage (VARCHAR when read from text). */
  labelType?: string;
  /** Source column of the label. */
  labelColumn?: string;
  timestampColumn: string;
}

export const keyStage = (name: string): string => `k__${name}`;
export const featureStage = (name: string): string => `f__${name}`;

const INTEGER_TYPES = new Set([
  'TINYINT',
  'SMALLINT',
  'INTEGER',
  'BIGINT',
  'HUGEINT',
  'UTINYINT',
  'USMALLINT',
  'UINTEGER',
  'UBIGINT',
  'UHUGEINT',
]);
const FLOAT_TYPES = new Set(['FLOAT', 'DOUBLE', 'REAL']);
const NAIVE_TS_TYPES = new Set([
  'TIMESTAMP',
  'TIMESTAMP_S',
  'TIMESTAMP_MS',
  'TIMESTAMP_NS',
  'DATE',
  'DATETIME',
]);
const ZONED_TS_TYPES = new Set(['TIMESTAMP WITH TIME ZONE', 'TIMESTAMPTZ']);

const isInteger = (t: string): boolean => INTEGER_TYPES.has(t);
const isNumeric = (t: string): boolean => isInteger(t) || FLOAT_TYPES.has(t) || t.startsWith('DECIMAL');
const isText = (t: string): boolean => t === 'VARCHAR' || t.startsWith('ENUM');

// A written time zone after a time of day: Z, UTC, +02:00, +0200, +02, or a zone name.
const ZONE_RE = String.raw`(?i)\d:\d{2}(?::\d{2}(?:\.\d+)?)?\s*(?:z|utc|gmt|[+-]\d{2}(?::?\d{2})?|[a-z_]+/[a-z_]+)$`;
const INT_RE = String.raw`\s*[+-]?\d+\s*`;

interface Problem {
  problem: string;
  code: Check['code'];
  /** SQL condition on the raw and the cast value. */
  cond: (raw: string, value: string) => string;
}

interface Check {
  column: string;
  problem: string;
  code: ConstructorParameters<typeof StoreError>[0];
}

interface FileSchema {
  file: SourceFile;
  format: 'csv' | 'parquet';
  columns: Map<string, string>;
}

/** Read the source into `req.table` and validate it; throws StoreError on bad input. */
export async function stageSource(db: Db, req: StageRequest): Promise<Staged> {
  const { source } = req;
  const format = source.spec.format;
  const schemas: FileSchema[] = [];
  for (const file of source.files)
    schemas.push({ file, format, columns: await inspect(db, file, format, req.what) });
  requireColumns(schemas, req);
  const keys = stagedKeys(schemas, req);
  checkNativeTimeZones(schemas, req);
  let labelType: string | undefined;
  if (req.labelColumn) {
    const types = new Set(schemas.map((s) => s.columns.get(req.labelColumn!)!));
    labelType = types.size === 1 ? [...types][0]! : 'VARCHAR';
  }
  const zoneCols = textZoneColumns(schemas, req);
  const checks: Check[] = [];
  const selects = schemas.map((s, fileIdx) =>
    fileSelect(s, fileIdx, { req, keys, labelType, zoneCols, checks }),
  );
  await loadStage(db, req, schemas, selects);
  await refuseFirstBadRow(db, req, checks);
  for (const z of zoneCols) await refuseMixedZones(db, req, z);

  const rows = num((await db.one(`SELECT count(*) AS n FROM ${ident(req.table)}`)).n);
  if (req.checkDuplicates ?? true) await checkDuplicates(db, req, keys, source.files);

  return {
    what: req.what,
    table: req.table,
    files: source.files,
    rows,
    keys,
    features: req.features.map((f) => ({
      name: f.name,
      column: f.column,
      stage: featureStage(f.name),
      type: f.type,
    })),
    labelType,
    labelColumn: req.labelColumn,
    timestampColumn: req.timestamp,
  };
}

/** Every file has every column the request reads (a near miss in case is suggested). */
function requireColumns(schemas: readonly FileSchema[], req: StageRequest): void {
  const needed = [
    ...req.entities,
    req.timestamp,
    ...req.features.map((f) => f.column),
    ...(req.labelColumn ? [req.labelColumn] : []),
  ];
  for (const s of schemas) {
    for (const col of needed) {
      if (!s.columns.has(col)) {
        const have = [...s.columns.keys()];
        const near = have.find((h) => h.toLowerCase() === col.toLowerCase());
        throw new StoreError(
          'store/missing-column',
          `${s.file.rel}: no column "${col}" (${req.what} reads it)${near ? `; did you mean "${near}"?` : ''} — columns: ${have.join(', ') || '(none)'}`,
          { file: s.file.rel, column: col },
        );
      }
    }
  }
}

/** Entity keys: BIGINT when every file stores integers, else compared as text. */
function stagedKeys(schemas: readonly FileSchema[], req: StageRequest): StagedKey[] {
  return req.entities.map((name) => {
    let allInt = true;
    for (const s of schemas) {
      const t = s.columns.get(name)!;
      if (FLOAT_TYPES.has(t) || t.startsWith('DECIMAL') || /[[\]]|STRUCT|MAP|UNION/.test(t))
        throw new StoreError(
          'store/wrong-type',
          `${s.file.rel}: entity key column "${name}" is ${t}; keys must be integers or text`,
          { file: s.file.rel, column: name },
        );
      if (!isInteger(t)) allInt = false;
    }
    return { name, stage: keyStage(name), type: allInt ? 'BIGINT' : 'VARCHAR' };
  });
}

/** Native timestamp columns must agree on carrying a time zone across files. */
function checkNativeTimeZones(schemas: readonly FileSchema[], req: StageRequest): void {
  for (const col of [
    req.timestamp,
    ...req.features.filter((f) => f.type === 'timestamp').map((f) => f.column),
  ]) {
    let first: { zoned: boolean; file: string } | undefined;
    for (const s of schemas) {
      const t = s.columns.get(col)!;
      if (isText(t)) continue;
      const zoned = ZONED_TS_TYPES.has(t);
      if (!zoned && !NAIVE_TS_TYPES.has(t))
        throw new StoreError(
          'store/not-a-timestamp',
          `${s.file.rel}: column "${col}" is ${t}, not a timestamp (${req.what} reads it as ${col === req.timestamp ? 'its event time' : 'a timestamp feature'})`,
          { file: s.file.rel, column: col },
        );
      if (first && first.zoned !== zoned)
        throw new StoreError(
          'store/mixed-time-zones',
          `${s.file.rel}: column "${col}" is ${t} but ${first.file} stores it ${first.zoned ? 'with' : 'without'} a time zone; mixed time zones are ambiguous`,
          { file: s.file.rel, column: col },
        );
      first ??= { zoned, file: s.file.rel };
    }
  }
}

interface ZoneColumn {
  column: string;
  /** Stage column saying whether the row's value carries a zone. */
  flag: string;
}

/** Timestamp columns stored as text in some file: whether each value has a zone is checked per row. */
function textZoneColumns(schemas: readonly FileSchema[], req: StageRequest): ZoneColumn[] {
  const zoneCols: ZoneColumn[] = [];
  const tsCols = [req.timestamp, ...req.features.filter((f) => f.type === 'timestamp').map((f) => f.column)];
  const flagOf = (col: string) => `__z${tsCols.indexOf(col)}`;
  for (const col of tsCols)
    if (schemas.some((s) => isText(s.columns.get(col)!)) && !zoneCols.some((z) => z.column === col))
      zoneCols.push({ column: col, flag: flagOf(col) });
  return zoneCols;
}

interface SelectPlan {
  req: StageRequest;
  keys: readonly StagedKey[];
  labelType: string | undefined;
  zoneCols: readonly ZoneColumn[];
  /** Shared by every file's SELECT: `__err` is an index into it. */
  checks: Check[];
}

/**
 * The parts of one file's SELECT. Two levels: the inner SELECT reads and casts each column once
 * (`__r<i>` raw, `__v<i>` value); the outer one names the canonical columns and derives the
 * checks from both, so no cast is evaluated twice.
 */
function selectParts(fileIdx: number, checks: Check[]) {
  const inner: string[] = [`${fileIdx}::INTEGER AS __file`];
  const outer: string[] = ['__file', '__row'];
  const conds: string[] = [];
  let n = 0;
  return {
    inner,
    outer,
    column: (source: string, value: string) => {
      const i = n++;
      inner.push(`${ident(source)} AS __r${i}`, `${value} AS __v${i}`);
      return { r: `__r${i}`, v: `__v${i}` };
    },
    add: (col: string, problem: string, code: Check['code'], cond: string) => {
      let i = checks.findIndex((c) => c.column === col && c.problem === problem);
      if (i < 0) i = checks.push({ column: col, problem, code }) - 1;
      conds.push(`WHEN ${cond} THEN ${i}`);
    },
    /** `__err`: the index of the row's first failed check, or NULL. */
    err: () => (conds.length ? `CASE ${conds.join(' ')} END::INTEGER AS __err` : 'NULL::INTEGER AS __err'),
  };
}

/** One file's rows in the stage layout, with `__err` and the zone flags. */
function fileSelect(s: FileSchema, fileIdx: number, plan: SelectPlan): string {
  const { req } = plan;
  const { inner, outer, column, add, err } = selectParts(fileIdx, plan.checks);
  for (const k of plan.keys) {
    const t = s.columns.get(k.name)!;
    const c = ident(k.name);
    const { r, v } = column(k.name, k.type === 'BIGINT' || !isText(t) ? `CAST(${c} AS ${k.type})` : c);
    outer.push(`${v} AS ${ident(k.stage)}`);
    add(k.name, 'the entity key is empty', 'store/empty-key', `${r} IS NULL`);
  }
  const rawOf = new Map<string, string>();
  {
    const { r, v } = column(
      req.timestamp,
      timestampExpr(ident(req.timestamp), s.columns.get(req.timestamp)!),
    );
    rawOf.set(req.timestamp, r);
    outer.push(`${v} AS __ts`);
    add(req.timestamp, 'the event time is empty', 'store/not-a-timestamp', `${r} IS NULL`);
    add(req.timestamp, 'the value is not a timestamp', 'store/not-a-timestamp', `${v} IS NULL`);
  }
  for (const f of req.features) {
    const t = s.columns.get(f.column)!;
    const { value, problems } = featureExpr(ident(f.column), t, f.type, s.file, f.column, req.what);
    const { r, v } = column(f.column, value);
    rawOf.set(f.column, r);
    outer.push(`${v} AS ${ident(featureStage(f.name))}`);
    for (const p of problems) add(f.column, p.problem, p.code, p.cond(r, v));
  }
  if (req.labelColumn) {
    const c = ident(req.labelColumn);
    const { v } = column(
      req.labelColumn,
      plan.labelType === s.columns.get(req.labelColumn) ? c : `CAST(${c} AS VARCHAR)`,
    );
    outer.push(`${v} AS __label`);
  }
  for (const z of plan.zoneCols) {
    const t = s.columns.get(z.column)!;
    outer.push(
      `${isText(t) ? zonedExpr(rawOf.get(z.column)!) : ZONED_TS_TYPES.has(t) ? 'true' : 'false'} AS ${z.flag}`,
    );
  }
  outer.push(err());
  const from =
    s.format === 'parquet'
      ? `read_parquet(${lit(s.file.abs)}, file_row_number = true)`
      : ident(rawTable(req.table, fileIdx));
  // CSV rows are numbered by their position in a raw copy read in parallel: `WITH
  // ORDINALITY` on read_csv forces one thread and doubled the read time (bench/training-set).
  const row = s.format === 'parquet' ? 'file_row_number + 1' : 'rowid + 1';
  return `SELECT ${outer.join(', ')} FROM (SELECT ${inner.join(', ')}, (${row})::BIGINT AS __row FROM ${from})`;
}

/** Copy each CSV file into a raw table, then create the stage from every file's SELECT. */
async function loadStage(
  db: Db,
  req: StageRequest,
  schemas: readonly FileSchema[],
  selects: readonly string[],
): Promise<void> {
  const raws: string[] = [];
  try {
    // With insertion order preserved, a freshly created table's rowid is the data row's
    // position in the file.
    // The connection runs with preserve_insertion_order off (see sql.ts); these loads need it.
    if (schemas.some((s) => s.format === 'csv')) await db.run(`SET preserve_insertion_order = true`);
    try {
      for (const [fileIdx, s] of schemas.entries()) {
        if (s.format !== 'csv') continue;
        const raw = rawTable(req.table, fileIdx);
        raws.push(raw);
        await db.run(
          `CREATE OR REPLACE TEMP TABLE ${ident(raw)} AS SELECT * FROM ${csvRead(s.file, [...s.columns.keys()])}`,
        );
      }
    } finally {
      await db.run(`SET preserve_insertion_order = false`);
    }
    await db.run(`CREATE OR REPLACE TEMP TABLE ${ident(req.table)} AS ${selects.join('\nUNION ALL\n')}`);
  } catch (e) {
    throw readError(e, req.source.files, req.what, req.source.spec.format);
  } finally {
    for (const raw of raws) await db.run(`DROP TABLE IF EXISTS ${ident(raw)}`);
  }
}

/** Refuse the stage's first row (in file order) that failed a check, naming file, row and column. */
async function refuseFirstBadRow(db: Db, req: StageRequest, checks: readonly Check[]): Promise<void> {
  const bad = await db.all(
    `SELECT __err, __file, __row FROM ${ident(req.table)} WHERE __err IS NOT NULL ORDER BY __file, __row LIMIT 1`,
  );
  if (bad.length === 0) return;
  const check = checks[num(bad[0]!.__err)]!;
  const file = req.source.files[num(bad[0]!.__file)]!.rel;
  const row = num(bad[0]!.__row);
  const declared =
    check.column === req.timestamp
      ? 'the event time'
      : req.entities.includes(check.column)
        ? 'an entity key'
        : `${req.features.find((f) => f.column === check.column)?.type ?? ''}`;
  throw new StoreError(
    check.code,
    `${file}: row ${row}, column "${check.column}": ${check.problem} (${req.what} reads it as ${declared})`,
    { file, column: check.column, row },
  );
}

/** Refuse a text timestamp column where some values carry a zone and others do not. */
async function refuseMixedZones(db: Db, req: StageRequest, z: ZoneColumn): Promise<void> {
  const rows = await db.all(
    `WITH first AS (SELECT ${z.flag} AS z, __file, __row FROM ${ident(req.table)} WHERE ${z.flag} IS NOT NULL ORDER BY __file, __row LIMIT 1)
       SELECT t.__file, t.__row, first.z AS first_z, first.__file AS ff, first.__row AS fr FROM ${ident(req.table)} t, first
       WHERE t.${z.flag} IS NOT NULL AND t.${z.flag} <> first.z ORDER BY t.__file, t.__row LIMIT 1`,
  );
  if (rows.length === 0) return;
  const r = rows[0]!;
  const file = req.source.files[num(r.__file)]!.rel;
  const firstFile = req.source.files[num(r.ff)]!.rel;
  throw new StoreError(
    'store/mixed-time-zones',
    `${file}: row ${num(r.__row)}, column "${z.column}": the timestamp ${r.first_z ? 'has no' : 'has a'} time zone, but ${firstFile} row ${num(r.fr)} ${r.first_z ? 'has one' : 'has none'}; mixed time zones are ambiguous (write every value with an offset such as Z or +02:00, or none)`,
    { file, column: z.column, row: num(r.__row) },
  );
}

function rawTable(table: string, fileIdx: number): string {
  return `${table}__raw${fileIdx}`;
}

async function inspect(
  db: Db,
  file: SourceFile,
  format: 'csv' | 'parquet',
  what: string,
): Promise<Map<string, string>> {
  if (format === 'csv') {
    const names = await readCsvHeader(file, what);
    return new Map(names.map((n) => [n, 'VARCHAR']));
  }
  let rows;
  try {
    rows = await db.all(`DESCRIBE SELECT * FROM read_parquet(${lit(file.abs)})`);
  } catch (e) {
    const msg = duckMessage(e);
    const corrupt = /magic bytes|parquet|footer|metadata|corrupt|Thrift/i.test(msg);
    throw new StoreError(
      corrupt ? 'store/corrupt-file' : 'store/read-failed',
      `${file.rel}: ${corrupt ? 'not a readable Parquet file' : 'cannot be read as Parquet'} (${msg.replaceAll(file.abs, file.rel)}) — source of ${what}`,
      { file: file.rel },
      { cause: e },
    );
  }
  return new Map(rows.map((r) => [String(r.column_name), String(r.column_type).toUpperCase()]));
}

/**
 * CSV sources are RFC 4180: comma, double quotes, a header line. The dialect is fixed rather
 * than sniffed: DuckDB's sniffer may take a later line for the header when one row is
 * malformed, silently dropping the rows above it.
 */
function csvRead(file: SourceFile, columns: readonly string[]): string {
  const cols = columns.map((c) => `${lit(c)}: 'VARCHAR'`).join(', ');
  return `read_csv(${lit(file.abs)}, columns = {${cols}}, header = true, auto_detect = false, delim = ',', quote = '"', escape = '"', strict_mode = true)`;
}

async function readCsvHeader(file: SourceFile, what: string): Promise<string[]> {
  let text: string;
  try {
    const fh = await open(file.abs, 'r');
    try {
      const buf = Buffer.alloc(1 << 16);
      const { bytesRead } = await fh.read(buf, 0, buf.length, 0);
      text = buf.subarray(0, bytesRead).toString('utf8');
    } finally {
      await fh.close();
    }
  } catch (e) {
    throw new StoreError(
      'store/read-failed',
      `${file.rel}: cannot be read (${(e as Error).message}) — source of ${what}`,
      { file: file.rel },
      { cause: e },
    );
  }
  const nl = text.search(/\r?\n/);
  if (nl < 0 && text.length === 1 << 16)
    throw new StoreError(
      'store/read-failed',
      `${file.rel}: the header line is longer than 64 KiB — source of ${what}`,
      { file: file.rel },
    );
  const line = (nl < 0 ? text : text.slice(0, nl)).replace(/^\uFEFF/, '');
  if (line.trim() === '')
    throw new StoreError(
      'store/read-failed',
      `${file.rel}: empty file, or no header line — source of ${what}`,
      { file: file.rel },
    );
  const names: string[] = [];
  let cur = '';
  let quoted = false;
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (quoted) {
      if (ch === '"' && line[i + 1] === '"') {
        cur += '"';
        i++;
      } else if (ch === '"') quoted = false;
      else cur += ch;
    } else if (ch === '"') quoted = true;
    else if (ch === ',') {
      names.push(cur);
      cur = '';
    } else cur += ch;
  }
  names.push(cur);
  const seen = new Set<string>();
  for (const n of names) {
    if (seen.has(n))
      throw new StoreError(
        'store/read-failed',
        `${file.rel}: the header names column "${n}" twice — source of ${what}`,
        { file: file.rel, column: n },
      );
    seen.add(n);
  }
  return names;
}

/** Whether a text timestamp carries a zone; the common `…Z` ending skips the regular expression. */
function zonedExpr(c: string): string {
  return `CASE WHEN ${c} IS NULL THEN NULL WHEN ends_with(${c}, 'Z') THEN true ELSE regexp_matches(trim(${c}), ${lit(ZONE_RE)}) END`;
}

function timestampExpr(c: string, t: string): string {
  // DuckDB's casts skip surrounding blanks (BOOLEAN excepted): no trim() on the hot path.
  if (isText(t)) return `TRY_CAST(${c} AS TIMESTAMPTZ)`;
  return `CAST(${c} AS TIMESTAMPTZ)`;
}

/** A value that is present but does not cast: a NULL cast of a non-NULL raw value. */
const castFails = (problem: string, code: Check['code'] = 'store/wrong-type'): Problem => ({
  problem,
  code,
  cond: (r, val) => `${r} IS NOT NULL AND ${val} IS NULL`,
});

/** The cast of a feature column of DuckDB type `t` to its declared type, and the row problems to check. */
function featureExpr(
  c: string,
  t: string,
  type: FeatureType,
  file: SourceFile,
  column: string,
  what: string,
): { value: string; problems: Problem[] } {
  const wrong = () =>
    new StoreError(
      'store/wrong-type',
      `${file.rel}: column "${column}" is ${t}, but ${what} declares it ${type}`,
      { file: file.rel, column },
    );
  const text = isText(t);
  switch (type) {
    case 'int': {
      if (text)
        return {
          value: `TRY_CAST(CASE WHEN regexp_full_match(${c}, ${lit(INT_RE)}) THEN ${c} END AS BIGINT)`,
          problems: [castFails('the value is not an integer')],
        };
      if (!isInteger(t)) throw wrong();
      return {
        value: `TRY_CAST(${c} AS BIGINT)`,
        problems: [castFails('the integer does not fit in 64 bits')],
      };
    }
    case 'float':
      return floatExpr(c, t, text, wrong);
    case 'bool': {
      if (text)
        return {
          value: `TRY_CAST(trim(${c}) AS BOOLEAN)`,
          problems: [castFails('the value is not a boolean (true/false, 1/0)')],
        };
      if (t !== 'BOOLEAN') throw wrong();
      return { value: c, problems: [] };
    }
    case 'category': {
      if (!text && !isInteger(t) && t !== 'BOOLEAN') throw wrong();
      return { value: text && t === 'VARCHAR' ? c : `CAST(${c} AS VARCHAR)`, problems: [] };
    }
    case 'string': {
      if (!text) throw wrong();
      return { value: t === 'VARCHAR' ? c : `CAST(${c} AS VARCHAR)`, problems: [] };
    }
    case 'timestamp': {
      if (!text && !ZONED_TS_TYPES.has(t) && !NAIVE_TS_TYPES.has(t)) throw wrong();
      return {
        value: timestampExpr(c, t),
        problems: text ? [castFails('the value is not a timestamp', 'store/not-a-timestamp')] : [],
      };
    }
  }
}

/** Floats are refused when not a number (text), NaN or infinite (text and native floats). */
function floatExpr(
  c: string,
  t: string,
  text: boolean,
  wrong: () => StoreError,
): { value: string; problems: Problem[] } {
  let v: string;
  const problems: Problem[] = [];
  if (text) {
    v = `TRY_CAST(${c} AS DOUBLE)`;
    problems.push(castFails('the value is not a number'));
  } else if (isNumeric(t)) v = `CAST(${c} AS DOUBLE)`;
  else throw wrong();
  if (text || FLOAT_TYPES.has(t)) {
    problems.push({
      problem: 'the value is NaN',
      code: 'store/not-finite',
      cond: (_r, val) => `isnan(${val})`,
    });
    problems.push({
      problem: 'the value is infinite',
      code: 'store/not-finite',
      cond: (_r, val) => `isinf(${val})`,
    });
  }
  return { value: v, problems };
}

async function checkDuplicates(
  db: Db,
  req: StageRequest,
  keys: StagedKey[],
  files: SourceFile[],
): Promise<void> {
  const t = ident(req.table);
  const cols = [...keys.map((k) => ident(k.stage)), '__ts'];
  // Fast exact-negative pre-check: equal (keys, time) give equal hashes, so as many distinct
  // hashes as rows means no duplicate. Only otherwise (a duplicate, or a hash collision)
  // does the grouping below locate the rows.
  const pre = await db.one(`SELECT count(*) - count(DISTINCT hash(${cols.join(', ')})) AS d FROM ${t}`);
  if (num(pre.d) === 0) return;
  const dup = await db.all(
    `SELECT min(__file::BIGINT * 4294967296 + __row) AS pos FROM ${t} GROUP BY ${cols.join(', ')} HAVING count(*) > 1 ORDER BY pos LIMIT 1`,
  );
  if (dup.length === 0) return;
  const pos = BigInt(dup[0]!.pos as bigint);
  const fileIdx = Number(pos / 4294967296n);
  const row = pos % 4294967296n;
  const pair = await db.all(
    `SELECT d.__file, d.__row FROM ${t} d JOIN (SELECT ${cols.join(', ')} FROM ${t} WHERE __file = ${fileIdx} AND __row = ${row}) x USING (${cols.join(', ')})
     ORDER BY d.__file, d.__row LIMIT 2`,
  );
  const a = pair[0]!;
  const b = pair[1]!;
  const fa = files[num(a.__file)]!.rel;
  const fb = files[num(b.__file)]!.rel;
  const where =
    fa === fb
      ? `${fb}: rows ${num(a.__row)} and ${num(b.__row)}`
      : `${fa} row ${num(a.__row)} and ${fb} row ${num(b.__row)}`;
  throw new StoreError(
    'store/duplicate-row',
    `${where} have the same ${[...req.entities, req.timestamp].map((c) => `"${c}"`).join(', ')}: two values for one entity at one instant (${req.what}); keep one`,
    { file: fb, column: req.timestamp, row: num(b.__row) },
  );
}

function readError(
  e: unknown,
  files: readonly SourceFile[],
  what: string,
  format: 'csv' | 'parquet',
): StoreError {
  const raw = e instanceof Error ? e.message : String(e);
  const file = files.find((f) => raw.includes(f.abs)) ?? (files.length === 1 ? files[0] : undefined);
  const rel = file?.rel ?? files.map((f) => f.rel).join(', ');
  const csvLine = /CSV Error on Line: (\d+)/.exec(raw)?.[1];
  if (format === 'csv' && csvLine) {
    // The rest of DuckDB's message quotes the line; values stay out of Rudder's messages.
    const fields = /Expected Number of Columns: (\d+) Found: (\d+)/.exec(raw);
    const problem = fields
      ? `expected ${fields[1]} fields, found ${fields[2]}`
      : /Invalid unicode|UTF-8/i.test(raw)
        ? 'not valid UTF-8'
        : 'malformed CSV (check quotes and delimiters)';
    const line = Number(csvLine);
    return new StoreError(
      'store/read-failed',
      `${rel}: cannot be read at line ${line} (row ${line - 1}): ${problem} — source of ${what}`,
      { file: file?.rel, row: line - 1 },
      { cause: e },
    );
  }
  const msg = duckMessage(e).replaceAll(file?.abs ?? '\0', file?.rel ?? '');
  const corrupt = format === 'parquet';
  return new StoreError(
    corrupt ? 'store/corrupt-file' : 'store/read-failed',
    `${rel}: ${corrupt ? 'corrupt Parquet data' : 'cannot be read'} (${msg}) — source of ${what}`,
    { file: file?.rel },
    { cause: e },
  );
}
