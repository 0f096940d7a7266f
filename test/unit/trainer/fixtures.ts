// Builders for trainer tests: normalized Model specs and tiny training-set Parquet files written
// with DuckDB in the layout of src/store/port.ts (the real store is not needed to test trainers).
import { createHash } from 'node:crypto';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import type {
  CommandTrainerSpec,
  FeatureType,
  Model,
  TfjsTrainerSpec,
} from '../../../src/compiler/desired-state.ts';
import type { TrainingSet } from '../../../src/store/port.ts';
import type { Task } from '../../../src/schema/vocabulary.ts';
import { Rng } from '../../../src/util/rng.ts';

export interface FeatureDef {
  view: string;
  name: string;
  type: FeatureType;
}

export function tfjsSpec(
  over: Partial<Omit<TfjsTrainerSpec, 'earlyStopping'>> & {
    earlyStopping?: Partial<NonNullable<TfjsTrainerSpec['earlyStopping']>> & {
      metric: string;
      patience: number;
    };
  } = {},
): TfjsTrainerSpec {
  return {
    type: 'tfjs',
    architecture: { type: 'mlp', hidden: [16, 8], activation: 'relu', dropout: 0, batchNorm: false },
    epochs: 8,
    batchSize: 32,
    learningRate: 0.01,
    optimizer: 'adam',
    schedule: { type: 'constant' },
    accumulate: 1,
    categorical: 'onehot',
    backend: 'wasm',
    seed: 42,
    ...over,
    // The compiler's defaults for the floor unless a test sets them.
    earlyStopping: over.earlyStopping
      ? { minEpochs: 1, minValidationRows: 1, ...over.earlyStopping }
      : undefined,
  };
}

export function commandSpec(over: Partial<CommandTrainerSpec> = {}): CommandTrainerSpec {
  return {
    type: 'command',
    command: ['python3', 'train.py'],
    workdir: '.',
    timeoutMs: 30_000,
    env: {},
    fromEnv: [],
    params: {},
    seed: 42,
    ...over,
  };
}

export function makeModel(opts: {
  name?: string;
  task?: Task;
  features: FeatureDef[];
  trainer?: Model['trainer'];
  metrics?: string[];
  split?: Partial<Model['split']>;
  classes?: Model['label']['classes'];
}): Model {
  const task = opts.task ?? 'binary-classification';
  const metrics =
    opts.metrics ??
    (task === 'regression'
      ? ['rmse', 'mae', 'r2']
      : task === 'multiclass-classification'
        ? ['accuracy', 'logloss']
        : ['auc', 'accuracy', 'logloss']);
  return {
    kind: 'Model',
    name: opts.name ?? 'churn',
    digest: 'sha256:' + '0'.repeat(64),
    origin: { file: 'policies/model.yaml', doc: 0 },
    task,
    label: {
      source: { path: 'data/labels.csv', format: 'csv', timestamp: 'ts' },
      entities: ['customer_id'],
      column: 'label',
      classes: opts.classes,
    },
    features: opts.features.map((f) => ({
      name: f.name,
      type: f.type,
      column: f.name,
      pii: false,
      ref: `${f.view}:${f.name}`,
      view: f.view,
    })),
    views: [...new Set(opts.features.map((f) => f.view))].sort(),
    trainer: opts.trainer ?? tfjsSpec(),
    dataChecks: { maxNullShare: 0.9, minCoverage: 0.5, minRows: 20 },
    split: { method: 'time', holdout: 0.2, validation: 0.1, ...opts.split },
    metrics,
    primaryMetric: metrics[0]!,
  };
}

const SQL_TYPE: Record<FeatureType, string> = {
  int: 'BIGINT',
  float: 'DOUBLE',
  bool: 'BOOLEAN',
  category: 'VARCHAR',
  string: 'VARCHAR',
  timestamp: 'TIMESTAMPTZ',
};

/** Write rows as a training-set Parquet file and describe it like the store would. */
export async function writeTrainingSet(
  dir: string,
  features: FeatureDef[],
  rows: { id: string; ts: Date; label: unknown; values: unknown[] }[],
  labelType = 'BIGINT',
  file = 'training-set.parquet',
): Promise<TrainingSet> {
  const jsonl = join(dir, `${file}.jsonl`);
  const cols = (r: (typeof rows)[number]): Record<string, unknown> => {
    const o: Record<string, unknown> = {
      customer_id: r.id,
      __label_ts: r.ts.toISOString(),
      __label: r.label,
    };
    features.forEach(
      (f, i) =>
        (o[`${f.view}__${f.name}`] =
          r.values[i] instanceof Date ? (r.values[i] as Date).toISOString() : r.values[i]),
    );
    return o;
  };
  await writeFile(jsonl, rows.map((r) => JSON.stringify(cols(r))).join('\n') + '\n');
  const columns = [
    `customer_id: 'VARCHAR'`,
    `__label_ts: 'TIMESTAMPTZ'`,
    `__label: '${labelType}'`,
    ...features.map((f) => `${f.view}__${f.name}: '${SQL_TYPE[f.type]}'`),
  ].join(', ');
  const path = join(dir, file);
  const db = await DuckDBInstance.create(':memory:');
  const conn = await db.connect();
  await conn.run(
    `COPY (SELECT * FROM read_json('${jsonl}', format='newline_delimited', columns={${columns}}) ORDER BY __label_ts, customer_id) TO '${path}' (FORMAT parquet)`,
  );
  conn.closeSync();
  db.closeSync();
  const digest = `sha256:${createHash('sha256')
    .update(await readFile(path))
    .digest('hex')}`;
  const nullCounts: Record<string, number> = {};
  features.forEach(
    (f, i) => (nullCounts[`${f.view}:${f.name}`] = rows.filter((r) => r.values[i] == null).length),
  );
  return {
    path,
    rows: rows.length,
    digest,
    cutoff: rows.reduce((m, r) => (r.ts > m ? r.ts : m), new Date(0)).toISOString(),
    entityColumns: ['customer_id'],
    features: features.map((f) => ({
      ref: `${f.view}:${f.name}`,
      column: `${f.view}__${f.name}`,
      type: f.type,
    })),
    nullCounts,
  };
}

/** A learnable churn-like binary problem: two numeric features, a category, some nulls. */
export function churnRows(
  n: number,
  seed: number,
): { id: string; ts: Date; label: number; values: unknown[] }[] {
  const rng = new Rng(seed);
  const plans = ['basic', 'plus', 'pro'];
  const out = [];
  for (let i = 0; i < n; i++) {
    const tenure = rng.int(0, 60);
    const spend = rng.normal(50, 20);
    const plan = rng.pick(plans);
    const z =
      -0.08 * tenure +
      0.03 * (spend - 50) +
      (plan === 'basic' ? 1.2 : plan === 'pro' ? -0.8 : 0) +
      1.0 +
      rng.normal(0, 0.7);
    out.push({
      id: `c${String(i).padStart(5, '0')}`,
      ts: new Date(Date.UTC(2024, 0, 1) + i * 3_600_000),
      label: z > 0 ? 1 : 0,
      values: [tenure, rng.chance(0.05) ? null : spend, plan],
    });
  }
  return out;
}

export const churnFeatures: FeatureDef[] = [
  { view: 'customers', name: 'tenure_months', type: 'int' },
  { view: 'customers', name: 'spend_30d', type: 'float' },
  { view: 'customers', name: 'plan', type: 'category' },
];
