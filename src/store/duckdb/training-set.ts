// Point-in-time training sets. For each label row and each view the model reads, DuckDB's ASOF
// join picks the view's row for the same entity with the greatest event time at or before the
// label time; a value older than the view's TTL is dropped (NULL), and nothing after the label
// time can ever be picked. Ties cannot happen: two rows for one entity at one instant are
// refused as duplicates when the source is staged, so "latest" is always a single row.
//
// The steps, in `buildTrainingSet`'s order: stage the labels (check them, cut them at `until`,
// apply data policies), stage each view, join, count, write the file.
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm } from 'node:fs/promises';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { DataPolicy, FeatureView, Model } from '../../compiler/desired-state.ts';
import { InternalError } from '../../diagnostics/diagnostic.ts';
import {
  featureColumnName,
  LABEL_COLUMN,
  LABEL_TS_COLUMN,
  type AppliedPolicies,
  type QuarantineRecord,
  StoreError,
  type TrainingSet,
  type TrainingSetRequest,
  type TrainingSetViewStats,
} from '../port.ts';
import { digestFiles, resolveSource, sha256File } from './files.ts';
import {
  enforcePolicies,
  labelPoliciesFor,
  policiesFor,
  type EnforceContext,
  type Enforced,
} from './policies.ts';
import { ident, isoOf, lit, num } from './sql.ts';
import { featureStage, type Staged, type StagedKey, stageSource } from './stage.ts';

export interface TrainingContext extends EnforceContext {
  root: string;
  policies: readonly DataPolicy[];
}

const LABELS = '__rudder_labels';
const RESULT = '__rudder_training_set';
const viewTable = (i: number) => `__rudder_view_${i}`;

export async function buildTrainingSet(ctx: TrainingContext, req: TrainingSetRequest): Promise<TrainingSet> {
  const { model } = req;
  const policies = req.policies ?? ctx.policies;
  const views = viewsOf(model, req.views);
  if (model.features.length === 0) throw new InternalError(`model ${model.name} has no resolved feature`);
  refusePiiFeatures(model, policies);
  const out = outputOf(req.outPath);
  try {
    const labels = await stageLabels(ctx, model, policies, req.until);
    const staged: StagedView[] = [];
    for (const [i, view] of views.entries()) staged.push(await stageView(ctx, model, view, i, policies));
    await joinPointInTime(ctx, model, labels, staged);
    const stats = await joinStatistics(ctx, model, labels, staged);
    const digest = await writeTrainingSetFile(ctx, model, labels.staged.keys, out);
    return {
      path: out.path,
      rows: stats.rows,
      digest,
      cutoff: stats.cutoff,
      entityColumns: labels.staged.keys.map((k) => k.name),
      features: model.features.map((f) => ({ ref: f.ref, column: featureColumnName(f.ref), type: f.type })),
      nullCounts: stats.nullCounts,
      format: out.format,
      views: stats.views,
      labelRows: {
        read: labels.staged.rows,
        quarantined: labels.enforced.quarantinedRows,
        afterUntil: labels.afterUntil,
      },
      policies: appliedPolicies(labels, staged),
    };
  } finally {
    await rm(out.tmp, { force: true });
    for (const t of [LABELS, ...views.map((_, i) => viewTable(i)), RESULT])
      await ctx.db.run(`DROP TABLE IF EXISTS ${ident(t)}`).catch(() => undefined);
  }
}

/** The views the model reads, in its order (the caller must pass each). */
function viewsOf(model: Model, passed: readonly FeatureView[]): FeatureView[] {
  return model.views.map((name) => {
    const v = passed.find((x) => x.name === name);
    if (!v) throw new InternalError(`training set for ${model.name}: feature view ${name} was not passed`);
    return v;
  });
}

interface Output {
  /** Absolute path of the file. */
  path: string;
  /** As the caller wrote it, for messages. */
  asGiven: string;
  format: 'parquet' | 'csv';
  /** Written first, next to `path`, and renamed into place: a failed run leaves no partial file. */
  tmp: string;
}

function outputOf(outPath: string): Output {
  const path = resolve(outPath);
  return {
    path,
    asGiven: outPath,
    format: extname(path).toLowerCase() === '.csv' ? 'csv' : 'parquet',
    tmp: join(dirname(path), `.${basename(path)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`),
  };
}

interface StagedLabels {
  staged: Staged;
  /** The label column's SQL expression and type in the output. */
  label: LabelExpr;
  /** Label rows left out because they are after `until`. */
  afterUntil: number;
  enforced: Enforced;
}

/**
 * Stage the label source into `LABELS`, check every label value (all of them, also those after
 * `until`), drop the rows after `until`, and apply the data policies that scan labels. Refuses a
 * label source with no rows, or none left.
 */
async function stageLabels(
  ctx: TrainingContext,
  model: Model,
  policies: readonly DataPolicy[],
  until: Date | undefined,
): Promise<StagedLabels> {
  const what = `the label source of model "${model.name}"`;
  const source = await resolveSource(ctx.root, model.label.source, what);
  const staged = await stageSource(ctx.db, {
    what,
    table: LABELS,
    source,
    entities: model.label.entities,
    timestamp: model.label.source.timestamp,
    features: [],
    labelColumn: model.label.column,
  });
  if (staged.rows === 0)
    throw new StoreError(
      'store/no-labels',
      `${source.files.map((f) => f.rel).join(', ')}: ${what} has no rows`,
      {
        file: source.files[0]?.rel,
      },
    );
  const label = await labelExpression(ctx, staged, model);
  const afterUntil = until ? await dropLabelsAfter(ctx, until) : 0;
  const enforced = await enforcePolicies(ctx, staged, labelPoliciesFor(policies, model.views), {
    view: `label:${model.name}`,
    readColumns: new Set([...model.label.entities, model.label.column]),
    purpose: `training model "${model.name}"`,
  });
  const quarantined = enforced.quarantinedRows;
  if (staged.rows - afterUntil - quarantined <= 0)
    throw new StoreError(
      'store/no-labels',
      `${what} has no rows left${until ? ` at or before ${isoOf(until)}` : ''}${quarantined ? ` (${quarantined} quarantined)` : ''}`,
      { file: staged.files[0]?.rel },
    );
  return { staged, label, afterUntil, enforced };
}

/** Delete the staged labels after `until`; returns how many there were. */
async function dropLabelsAfter(ctx: TrainingContext, until: Date): Promise<number> {
  const iso = until.toISOString();
  const n = num(
    (await ctx.db.one(`SELECT count(*) AS n FROM ${LABELS} WHERE __ts > $1::TIMESTAMPTZ`, [iso])).n,
  );
  await ctx.db.run(`DELETE FROM ${LABELS} WHERE __ts > $1::TIMESTAMPTZ`, [iso]);
  return n;
}

interface StagedView {
  view: FeatureView;
  staged: Staged;
  sourceDigest: string;
  enforced: Enforced;
}

/**
 * Stage view number `i` into its own table: the features the model uses (every declared one
 * when a data policy applies to the view), with the view's data policies applied. Refuses an
 * empty source.
 */
async function stageView(
  ctx: TrainingContext,
  model: Model,
  view: FeatureView,
  i: number,
  policies: readonly DataPolicy[],
): Promise<StagedView> {
  const what = `feature view "${view.name}"`;
  const source = await resolveSource(ctx.root, view.source, what);
  // Hashing the files (main thread) overlaps with DuckDB reading them (its own threads).
  const sourceDigest = digestFiles(source.files);
  sourceDigest.catch(() => undefined);
  const viewPolicies = policiesFor(policies, view.name);
  const used = model.features.filter((f) => f.view === view.name);
  // With a policy to enforce, every declared column is staged so that all are scanned (as
  // `rudder data scan` does, so both find the same quarantines); only used ones are output.
  const features =
    viewPolicies.length > 0
      ? view.features
      : view.features.filter((f) => used.some((u) => u.name === f.name));
  const staged = await stageSource(ctx.db, {
    what,
    table: viewTable(i),
    source,
    entities: view.entities,
    timestamp: view.source.timestamp,
    features,
  });
  if (staged.rows === 0)
    throw new StoreError(
      'store/empty-source',
      `${source.files.map((f) => f.rel).join(', ')}: ${what} has no rows`,
      {
        file: source.files[0]?.rel,
      },
    );
  const enforced = await enforcePolicies(ctx, staged, viewPolicies, {
    view: view.name,
    readColumns: new Set([...view.entities, ...used.map((u) => u.column)]),
    purpose: `training model "${model.name}"`,
  });
  return { view, staged, sourceDigest: await sourceDigest, enforced };
}

/**
 * Build `RESULT`: one row per label, with its keys, time and value, and per view the value of
 * each feature the model reads (NULL when older than the view's TTL), the matched row's event
 * time `__vts<i>` and whether it was within the TTL `__fresh<i>` (for the statistics).
 */
async function joinPointInTime(
  ctx: TrainingContext,
  model: Model,
  labels: StagedLabels,
  views: readonly StagedView[],
): Promise<void> {
  const keyCols = labels.staged.keys;
  const select = [
    ...keyCols.map((k) => `l.${ident(k.stage)} AS ${ident(k.name)}`),
    `l.__ts AS ${LABEL_TS_COLUMN}`,
    `${labels.label.expr} AS ${LABEL_COLUMN}`,
  ];
  const joins: string[] = [];
  const labelExtra: string[] = [];
  const span = await labelTimeSpan(ctx);
  views.forEach((v, i) => {
    const j = viewJoin(model, keyCols, v, i, span);
    select.push(...j.select);
    joins.push(j.join);
    labelExtra.push(...j.labelExtra);
  });
  const from = labelExtra.length ? `(SELECT *, ${labelExtra.join(', ')} FROM ${LABELS})` : LABELS;
  await ctx.db.run(
    `CREATE OR REPLACE TEMP TABLE ${RESULT} AS SELECT ${select.join(', ')} FROM ${from} l ${joins.join(' ')}`,
  );
}

/** Oldest and newest label time, in epoch microseconds. */
async function labelTimeSpan(ctx: TrainingContext): Promise<{ lo: bigint; hi: bigint }> {
  const span = await ctx.db.one(`SELECT epoch_us(min(__ts)) AS lo, epoch_us(max(__ts)) AS hi FROM ${LABELS}`);
  return { lo: BigInt(span.lo as bigint), hi: BigInt(span.hi as bigint) };
}

/**
 * View `i`'s part of the join: an ASOF LEFT JOIN on the entity keys and `label time >= event
 * time`, the columns it adds, and the label-side key casts it needs (a key that is an integer on
 * one side and text on the other is compared as text).
 */
function viewJoin(
  model: Model,
  labelKeys: readonly StagedKey[],
  { view, staged }: StagedView,
  i: number,
  span: { lo: bigint; hi: bigint },
): { select: string[]; join: string; labelExtra: string[] } {
  const alias = `v${i}`;
  const ttlMs = Math.floor(view.ttlMs);
  const fresh = `${alias}.__ts >= l.__ts - to_milliseconds(${ttlMs}::BIGINT)`;
  const on: string[] = [];
  const proj: string[] = ['__ts'];
  const labelExtra: string[] = [];
  for (const k of staged.keys) {
    const lk = labelKeys.find((x) => x.name === k.name)!;
    if (lk.type === k.type) {
      on.push(`l.${ident(lk.stage)} = ${alias}.${ident(k.stage)}`);
      proj.push(ident(k.stage));
    } else {
      const extra = `__kv${i}_${k.name}`;
      labelExtra.push(`CAST(${ident(lk.stage)} AS VARCHAR) AS ${ident(extra)}`);
      on.push(`l.${ident(extra)} = ${alias}.${ident(k.stage)}`);
      proj.push(`CAST(${ident(k.stage)} AS VARCHAR) AS ${ident(k.stage)}`);
    }
  }
  const select: string[] = [];
  for (const f of model.features.filter((x) => x.view === view.name)) {
    proj.push(ident(featureStage(f.name)));
    select.push(
      `CASE WHEN ${fresh} THEN ${alias}.${ident(featureStage(f.name))} END AS ${ident(featureColumnName(f.ref))}`,
    );
  }
  select.push(`${alias}.__ts AS __vts${i}`, `(${fresh}) AS __fresh${i}`);
  // A view row older than the oldest label minus the TTL, or newer than the newest label, can
  // never be picked: leaving them out of the ASOF join's sort is the cheapest speed-up there is.
  const window = `__ts BETWEEN make_timestamptz(${span.lo - BigInt(ttlMs) * 1000n}) AND make_timestamptz(${span.hi})`;
  const join = `ASOF LEFT JOIN (SELECT ${proj.join(', ')} FROM ${ident(staged.table)} WHERE ${window}) ${alias} ON ${on.join(' AND ')} AND l.__ts >= ${alias}.__ts`;
  return { select, join, labelExtra };
}

interface JoinStatistics {
  rows: number;
  cutoff: string;
  nullCounts: Record<string, number>;
  views: TrainingSetViewStats[];
}

/**
 * Count rows, NULL features and per view the matched, missing and expired label rows; refuse a
 * view that matched no label row when the labels and the view share no entity at all.
 */
async function joinStatistics(
  ctx: TrainingContext,
  model: Model,
  labels: StagedLabels,
  views: readonly StagedView[],
): Promise<JoinStatistics> {
  const statSql = [
    'count(*) AS rows',
    `max(${LABEL_TS_COLUMN}) AS cutoff`,
    ...model.features.map(
      (f, i) => `count(*) FILTER (WHERE ${ident(featureColumnName(f.ref))} IS NULL) AS n${i}`,
    ),
    ...views.flatMap((_, i) => [
      `count(*) FILTER (WHERE __fresh${i}) AS m${i}`,
      `count(*) FILTER (WHERE __vts${i} IS NULL) AS x${i}`,
      `count(*) FILTER (WHERE NOT __fresh${i}) AS e${i}`,
    ]),
  ];
  const stats = await ctx.db.one(`SELECT ${statSql.join(', ')} FROM ${RESULT}`);
  const viewStats: TrainingSetViewStats[] = [];
  for (const [i, v] of views.entries()) {
    const matched = num(stats[`m${i}`]);
    const quarantined = v.enforced.quarantinedRows;
    if (matched === 0) await refuseDisjointEntities(ctx, labels.staged, v.staged, v.view, quarantined);
    viewStats.push({
      view: v.view.name,
      viewDigest: v.view.digest,
      sourceDigest: v.sourceDigest,
      sourceRows: v.staged.rows,
      quarantinedRows: quarantined,
      matched,
      missing: num(stats[`x${i}`]),
      expired: num(stats[`e${i}`]),
    });
  }
  const nullCounts: Record<string, number> = {};
  model.features.forEach((f, i) => (nullCounts[f.ref] = num(stats[`n${i}`])));
  return { rows: num(stats.rows), cutoff: isoOf(stats.cutoff)!, nullCounts, views: viewStats };
}

/**
 * Write `RESULT` in the documented layout and order (see port.ts) to the temporary name, hash
 * it, and rename it into place. Returns the file's digest.
 */
async function writeTrainingSetFile(
  ctx: TrainingContext,
  model: Model,
  keyCols: readonly StagedKey[],
  out: Output,
): Promise<string> {
  await mkdir(dirname(out.path), { recursive: true });
  const layout = [
    ...keyCols.map((k) => ident(k.name)),
    LABEL_TS_COLUMN,
    LABEL_COLUMN,
    ...model.features.map((f) => ident(featureColumnName(f.ref))),
  ];
  const order = [LABEL_TS_COLUMN, ...keyCols.map((k) => ident(k.name))].join(', ');
  const options = out.format === 'csv' ? `FORMAT csv, HEADER true` : `FORMAT parquet`;
  try {
    await ctx.db.run(
      `COPY (SELECT ${layout.join(', ')} FROM ${RESULT} ORDER BY ${order}) TO ${lit(out.tmp)} (${options})`,
    );
  } catch (e) {
    throw new StoreError(
      'store/bad-output',
      `${out.asGiven}: cannot be written (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
      { file: out.asGiven },
      { cause: e },
    );
  }
  const digest = `sha256:${await sha256File(out.tmp)}`;
  await rename(out.tmp, out.path);
  return digest;
}

/** What the data policies did: quarantines (once each, by id), hashed and dropped columns. */
function appliedPolicies(labels: StagedLabels, views: readonly StagedView[]): AppliedPolicies {
  return {
    quarantines: dedupe([...labels.enforced.quarantines, ...views.flatMap((v) => v.enforced.quarantines)]),
    hashedColumns: views.flatMap((v) => v.enforced.hashed.map((c) => `${v.view.name}:${c}`)).sort(),
    droppedColumns: views.flatMap((v) => v.enforced.dropped.map((c) => `${v.view.name}:${c}`)).sort(),
  };
}

/** A `pii: true` feature reaches a training set only through an allow entry with `training: true`. */
export function refusePiiFeatures(model: Model, policies: readonly DataPolicy[]): void {
  for (const f of model.features) {
    if (!f.pii) continue;
    const allowed = policies.some((p) =>
      p.allow.some((a) => a.training && a.view === f.view && (a.column === f.name || a.column === f.column)),
    );
    if (!allowed)
      throw new StoreError(
        'store/pii-refused',
        `model "${model.name}" reads ${f.ref}, which is marked pii: true, and no DataPolicy allows it in training (add an allow entry { view: ${f.view}, column: ${f.name}, training: true, reason: ... })`,
        { column: f.column },
      );
  }
}

interface LabelExpr {
  expr: string;
  type: string;
}

/** Check every label value and choose its column type (see the layout in port.ts). */
async function labelExpression(ctx: TrainingContext, labels: Staged, model: Model): Promise<LabelExpr> {
  const t = LABELS;
  const col = model.label.column;
  const raw = labels.labelType ?? 'VARCHAR';
  const text = raw === 'VARCHAR';
  const v = text ? 'trim(l.__label)' : 'l.__label';
  const first = async (cond: string) => {
    const r = await ctx.db.all(
      `SELECT __file, __row FROM ${t} l WHERE ${cond} ORDER BY __file, __row LIMIT 1`,
    );
    return r[0] ? { file: labels.files[num(r[0].__file)]!.rel, row: num(r[0].__row) } : undefined;
  };
  const fail = (
    at: { file: string; row: number },
    problem: string,
    code: 'store/bad-label' | 'store/not-finite' = 'store/bad-label',
  ) => {
    throw new StoreError(
      code,
      `${at.file}: row ${at.row}, column "${col}": ${problem} (the label of model "${model.name}")`,
      { file: at.file, column: col, row: at.row },
    );
  };
  const empty = await first('l.__label IS NULL');
  if (empty) fail(empty, 'the label is empty');

  if (model.task === 'regression') {
    if (!text && !/INT|FLOAT|DOUBLE|REAL|DECIMAL/.test(raw))
      throw new StoreError(
        'store/bad-label',
        `${labels.files[0]!.rel}: column "${col}" is ${raw}; a regression label must be numeric`,
        { file: labels.files[0]!.rel, column: col },
      );
    const e = `TRY_CAST(${v} AS DOUBLE)`;
    const bad = await first(`${e} IS NULL`);
    if (bad) fail(bad, 'the label is not a number');
    const nan = await first(`isnan(${e}) OR isinf(${e})`);
    if (nan) fail(nan, 'the label is NaN or infinite', 'store/not-finite');
    return { expr: e, type: 'DOUBLE' };
  }

  const classes = model.label.classes;
  let type: string;
  if (classes && classes.length > 0) {
    type = classes.every((c) => typeof c === 'number' && Number.isInteger(c))
      ? 'BIGINT'
      : classes.every((c) => typeof c === 'boolean')
        ? 'BOOLEAN'
        : 'VARCHAR';
    const e = `TRY_CAST(${v} AS ${type})`;
    const list = classes.map((c) => (type === 'VARCHAR' ? lit(String(c)) : String(c))).join(', ');
    const bad = await first(`${e} IS NULL OR ${e} NOT IN (${list})`);
    if (bad)
      fail(
        bad,
        `the label is not one of the declared classes [${classes.map((c) => JSON.stringify(c)).join(', ')}]`,
      );
    return { expr: e, type };
  }
  if (text) {
    const nonInt = await first(`NOT regexp_full_match(l.__label, '\\s*[+-]?\\d+\\s*')`);
    type = nonInt ? 'VARCHAR' : 'BIGINT';
    return { expr: type === 'BIGINT' ? `CAST(${v} AS BIGINT)` : v, type };
  }
  if (/INT/.test(raw)) return { expr: `CAST(${v} AS BIGINT)`, type: 'BIGINT' };
  if (raw === 'BOOLEAN') return { expr: v, type: 'BOOLEAN' };
  if (raw.startsWith('ENUM')) return { expr: `CAST(${v} AS VARCHAR)`, type: 'VARCHAR' };
  throw new StoreError(
    'store/bad-label',
    `${labels.files[0]!.rel}: column "${col}" is ${raw}; a classification label must be an integer, a boolean or text — or declare spec.label.classes`,
    { file: labels.files[0]!.rel, column: col },
  );
}

async function refuseDisjointEntities(
  ctx: TrainingContext,
  labels: Staged,
  view: Staged,
  fv: FeatureView,
  quarantined: number,
): Promise<void> {
  const on = view.keys
    .map((k) => {
      const lk = labels.keys.find((x) => x.name === k.name)!;
      return lk.type === k.type
        ? `l.${ident(lk.stage)} = v.${ident(k.stage)}`
        : `CAST(l.${ident(lk.stage)} AS VARCHAR) = CAST(v.${ident(k.stage)} AS VARCHAR)`;
    })
    .join(' AND ');
  const n = num(
    (await ctx.db.one(`SELECT count(*) AS n FROM ${LABELS} l SEMI JOIN ${ident(view.table)} v ON ${on}`)).n,
  );
  if (n > 0) return;
  const firstRow = await ctx.db.one(`SELECT __file, __row FROM ${LABELS} ORDER BY __file, __row LIMIT 1`);
  const file = labels.files[num(firstRow.__file)]!.rel;
  const cols = view.keys.map((k) => `"${k.name}"`).join(', ');
  const types = view.keys
    .map((k) => `${labels.keys.find((x) => x.name === k.name)!.type} vs ${k.type}`)
    .join(', ');
  throw new StoreError(
    'store/no-matching-entities',
    `${file}: no label row's ${cols} appears in feature view "${fv.name}" (${view.files.map((f) => f.rel).join(', ')}), starting at row ${num(firstRow.__row)}; check the key format and type (label vs view: ${types})${quarantined ? `; ${quarantined} of the view's rows are quarantined by a DataPolicy` : ''}`,
    { file, column: view.keys[0]?.name, row: num(firstRow.__row) },
  );
}

function dedupe(records: QuarantineRecord[]): QuarantineRecord[] {
  const m = new Map(records.map((r) => [r.id, r]));
  return [...m.values()].sort((a, b) => (a.id < b.id ? -1 : 1));
}
