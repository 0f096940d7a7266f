// Point-in-time training sets. For each label row and each view the model reads, DuckDB's ASOF
// join picks the view's row for the same entity with the greatest event time at or before the
// label time; a value older than the view's TTL is dropped (NULL), and nothing after the label
// time can ever be picked. Ties cannot happen: two rows for one entity at one instant are
// refused as duplicates when the source is staged, so "latest" is always a single row.
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
import { enforcePolicies, labelPoliciesFor, policiesFor, type EnforceContext } from './policies.ts';
import { ident, isoOf, lit, num } from './sql.ts';
import { featureStage, type Staged, stageSource } from './stage.ts';

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
  const views = model.views.map((name) => {
    const v = req.views.find((x) => x.name === name);
    if (!v) throw new InternalError(`training set for ${model.name}: feature view ${name} was not passed`);
    return v;
  });
  if (model.features.length === 0) throw new InternalError(`model ${model.name} has no resolved feature`);
  refusePiiFeatures(model, policies);

  const outPath = resolve(req.outPath);
  const format = extname(outPath).toLowerCase() === '.csv' ? 'csv' : 'parquet';
  const tmp = join(
    dirname(outPath),
    `.${basename(outPath)}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`,
  );
  const tables: string[] = [];
  try {
    // Labels.
    const labelWhat = `the label source of model "${model.name}"`;
    const labelSource = await resolveSource(ctx.root, model.label.source, labelWhat);
    tables.push(LABELS);
    const labels = await stageSource(ctx.db, {
      what: labelWhat,
      table: LABELS,
      source: labelSource,
      entities: model.label.entities,
      timestamp: model.label.source.timestamp,
      features: [],
      labelColumn: model.label.column,
    });
    if (labels.rows === 0)
      throw new StoreError(
        'store/no-labels',
        `${labelSource.files.map((f) => f.rel).join(', ')}: ${labelWhat} has no rows`,
        { file: labelSource.files[0]?.rel },
      );
    const label = await labelExpression(ctx, labels, model);
    let afterUntil = 0;
    if (req.until) {
      const until = req.until.toISOString();
      afterUntil = num(
        (await ctx.db.one(`SELECT count(*) AS n FROM ${LABELS} WHERE __ts > $1::TIMESTAMPTZ`, [until])).n,
      );
      await ctx.db.run(`DELETE FROM ${LABELS} WHERE __ts > $1::TIMESTAMPTZ`, [until]);
    }
    const labelReadCols = new Set([...model.label.entities, model.label.column]);
    const labelEnf = await enforcePolicies(ctx, labels, labelPoliciesFor(policies, model.views), {
      view: `label:${model.name}`,
      readColumns: labelReadCols,
      purpose: `training model "${model.name}"`,
    });
    const labelRows = labels.rows - afterUntil - labelEnf.quarantinedRows;
    if (labelRows <= 0)
      throw new StoreError(
        'store/no-labels',
        `${labelWhat} has no rows left${req.until ? ` at or before ${isoOf(req.until)}` : ''}${labelEnf.quarantinedRows ? ` (${labelEnf.quarantinedRows} quarantined)` : ''}`,
        {
          file: labels.files[0]?.rel,
        },
      );

    // Views.
    const applied: AppliedPolicies = {
      quarantines: [...labelEnf.quarantines],
      hashedColumns: [],
      droppedColumns: [],
    };
    const stagedViews: {
      view: FeatureView;
      staged: Staged;
      sourceDigest: string;
      sourceRows: number;
      quarantined: number;
    }[] = [];
    for (const [i, view] of views.entries()) {
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
      tables.push(viewTable(i));
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
          { file: source.files[0]?.rel },
        );
      const enf = await enforcePolicies(ctx, staged, viewPolicies, {
        view: view.name,
        readColumns: new Set([...view.entities, ...used.map((u) => u.column)]),
        purpose: `training model "${model.name}"`,
      });
      applied.quarantines.push(...enf.quarantines);
      applied.hashedColumns.push(...enf.hashed.map((c) => `${view.name}:${c}`));
      applied.droppedColumns.push(...enf.dropped.map((c) => `${view.name}:${c}`));
      stagedViews.push({
        view,
        staged,
        sourceDigest: await sourceDigest,
        sourceRows: staged.rows,
        quarantined: enf.quarantinedRows,
      });
    }

    // The point-in-time join.
    const keyCols = labels.keys;
    const select: string[] = [
      ...keyCols.map((k) => `l.${ident(k.stage)} AS ${ident(k.name)}`),
      `l.__ts AS ${LABEL_TS_COLUMN}`,
      `${label.expr} AS ${LABEL_COLUMN}`,
    ];
    const joins: string[] = [];
    // A view row older than the oldest label minus the TTL, or newer than the newest label, can
    // never be picked: leaving them out of the ASOF join's sort is the cheapest speed-up there is.
    const span = await ctx.db.one(
      `SELECT epoch_us(min(__ts)) AS lo, epoch_us(max(__ts)) AS hi FROM ${LABELS}`,
    );
    const lo = BigInt(span.lo as bigint);
    const hi = BigInt(span.hi as bigint);
    const labelExtra: string[] = [];
    stagedViews.forEach(({ view, staged }, i) => {
      const alias = `v${i}`;
      const fresh = `${alias}.__ts >= l.__ts - to_milliseconds(${Math.floor(view.ttlMs)}::BIGINT)`;
      const on: string[] = [];
      const proj: string[] = ['__ts'];
      for (const k of staged.keys) {
        const lk = keyCols.find((x) => x.name === k.name)!;
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
      for (const f of model.features.filter((x) => x.view === view.name)) {
        proj.push(ident(featureStage(f.name)));
        select.push(
          `CASE WHEN ${fresh} THEN ${alias}.${ident(featureStage(f.name))} END AS ${ident(featureColumnName(f.ref))}`,
        );
      }
      select.push(`${alias}.__ts AS __vts${i}`, `(${fresh}) AS __fresh${i}`);
      joins.push(
        `ASOF LEFT JOIN (SELECT ${proj.join(', ')} FROM ${ident(staged.table)} WHERE __ts BETWEEN make_timestamptz(${lo - BigInt(Math.floor(view.ttlMs)) * 1000n}) AND make_timestamptz(${hi})) ${alias} ON ${on.join(' AND ')} AND l.__ts >= ${alias}.__ts`,
      );
    });
    const from = labelExtra.length ? `(SELECT *, ${labelExtra.join(', ')} FROM ${LABELS})` : LABELS;
    tables.push(RESULT);
    await ctx.db.run(
      `CREATE OR REPLACE TEMP TABLE ${RESULT} AS SELECT ${select.join(', ')} FROM ${from} l ${joins.join(' ')}`,
    );

    // Statistics, and the refusal of a label source that shares no entity with a view.
    const featureCols = model.features.map((f) => featureColumnName(f.ref));
    const statSql = [
      'count(*) AS rows',
      `max(${LABEL_TS_COLUMN}) AS cutoff`,
      ...featureCols.map((c, i) => `count(*) FILTER (WHERE ${ident(c)} IS NULL) AS n${i}`),
      ...stagedViews.flatMap((_, i) => [
        `count(*) FILTER (WHERE __fresh${i}) AS m${i}`,
        `count(*) FILTER (WHERE __vts${i} IS NULL) AS x${i}`,
        `count(*) FILTER (WHERE NOT __fresh${i}) AS e${i}`,
      ]),
    ];
    const stats = await ctx.db.one(`SELECT ${statSql.join(', ')} FROM ${RESULT}`);
    const viewStats: TrainingSetViewStats[] = [];
    for (const [i, sv] of stagedViews.entries()) {
      const matched = num(stats[`m${i}`]);
      if (matched === 0) await refuseDisjointEntities(ctx, labels, sv.staged, sv.view, sv.quarantined);
      viewStats.push({
        view: sv.view.name,
        viewDigest: sv.view.digest,
        sourceDigest: sv.sourceDigest,
        sourceRows: sv.sourceRows,
        quarantinedRows: sv.quarantined,
        matched,
        missing: num(stats[`x${i}`]),
        expired: num(stats[`e${i}`]),
      });
    }

    // Write to a temporary name, hash, then rename: a failed run leaves no partial file.
    await mkdir(dirname(outPath), { recursive: true });
    const layout = [
      ...keyCols.map((k) => ident(k.name)),
      LABEL_TS_COLUMN,
      LABEL_COLUMN,
      ...featureCols.map((c) => ident(c)),
    ];
    const order = [LABEL_TS_COLUMN, ...keyCols.map((k) => ident(k.name))].join(', ');
    const options = format === 'csv' ? `FORMAT csv, HEADER true` : `FORMAT parquet`;
    try {
      await ctx.db.run(
        `COPY (SELECT ${layout.join(', ')} FROM ${RESULT} ORDER BY ${order}) TO ${lit(tmp)} (${options})`,
      );
    } catch (e) {
      throw new StoreError(
        'store/bad-output',
        `${req.outPath}: cannot be written (${e instanceof Error ? e.message.split('\n')[0] : String(e)})`,
        { file: req.outPath },
        { cause: e },
      );
    }
    const digest = `sha256:${await sha256File(tmp)}`;
    await rename(tmp, outPath);

    const nullCounts: Record<string, number> = {};
    model.features.forEach((f, i) => (nullCounts[f.ref] = num(stats[`n${i}`])));
    applied.quarantines = dedupe(applied.quarantines);
    applied.hashedColumns.sort();
    applied.droppedColumns.sort();
    return {
      path: outPath,
      rows: num(stats.rows),
      digest,
      cutoff: isoOf(stats.cutoff)!,
      entityColumns: keyCols.map((k) => k.name),
      features: model.features.map((f) => ({ ref: f.ref, column: featureColumnName(f.ref), type: f.type })),
      nullCounts,
      format,
      views: viewStats,
      labelRows: { read: labels.rows, quarantined: labelEnf.quarantinedRows, afterUntil },
      policies: applied,
    };
  } finally {
    await rm(tmp, { force: true });
    for (const t of tables) await ctx.db.run(`DROP TABLE IF EXISTS ${ident(t)}`).catch(() => undefined);
  }
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
