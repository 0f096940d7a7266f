// Training sets and data policies from the command line or any other front end: build a model's
// point-in-time training set, run the DataPolicies' scans, release a quarantine. Re-exported by
// api.ts (the one entry); the CLI only parses arguments and renders these results.
import { resolve } from 'node:path';
import { validate } from '../source/validate.ts';
import type { ApiResult } from '../diagnostics/diagnostic.ts';
import { releaseQuarantine, type ReleaseOptions, type ReleaseResult } from '../executor/release.ts';
import { defaultApplyPorts } from '../compose/default-ports.ts';
import { openFeatureStore } from '../store/open-store.ts';
import type { PiiScanResult, QuarantineRecord, TrainingSet } from '../store/port.ts';
import { suggestion } from '../util/did-you-mean.ts';

/**
 * A request that names something that does not exist (a model, a policy): the message says what
 * was asked for and what exists. Front ends show the message; no stack trace.
 */
export class UsageError extends Error {
  override name = 'UsageError';
}

export type DataResult<T> = ApiResult<{ value: T }>;

export interface DatasetOptions {
  cwd: string;
  policiesDir?: string;
  model: string;
  /** The file to write, relative to `cwd` or absolute; `.csv` writes CSV, else Parquet. */
  out: string;
  /** Only labels at or before this instant. */
  until?: Date;
}

/**
 * Build a model's point-in-time training set (what `model.train` trains on), with its data
 * policies enforced. Throws StoreError for bad data (the message names file, column, row) and
 * UsageError for an unknown model. Writes the file.
 */
export async function dataset(opts: DatasetOptions): Promise<DataResult<TrainingSet>> {
  const root = resolve(opts.cwd);
  const r = await validate({ cwd: root, policiesDir: opts.policiesDir });
  if (!r.ok || !r.state) return { ok: false, diagnostics: r.diagnostics, sources: r.sources };
  const state = r.state;
  const model = state.models.find((m) => m.name === opts.model);
  if (!model)
    throw new UsageError(
      `no model ${JSON.stringify(opts.model)}. ${suggestion(
        opts.model,
        state.models.map((m) => m.name),
      )}`.trim(),
    );
  const store = await openFeatureStore(root, state);
  try {
    const ts = await store.buildTrainingSet({
      model,
      views: state.featureViews,
      outPath: resolve(root, opts.out),
      until: opts.until,
    });
    return { ok: true, value: ts, diagnostics: r.diagnostics, sources: r.sources };
  } finally {
    await store.close();
  }
}

export interface DataScanOptions {
  cwd: string;
  policiesDir?: string;
  /** One DataPolicy; default: all of them. */
  policy?: string;
}

/**
 * Run the DataPolicies' detectors over their sources and record the quarantines they imply in
 * the local store (so `data release` can name them); state/ is written by `apply`. Findings are
 * counts per column and detector, never values.
 */
export async function dataScan(
  opts: DataScanOptions,
): Promise<DataResult<(PiiScanResult & { quarantines: QuarantineRecord[] })[]>> {
  const root = resolve(opts.cwd);
  const r = await validate({ cwd: root, policiesDir: opts.policiesDir });
  if (!r.ok || !r.state) return { ok: false, diagnostics: r.diagnostics, sources: r.sources };
  const state = r.state;
  const policies =
    opts.policy == null ? state.dataPolicies : state.dataPolicies.filter((p) => p.name === opts.policy);
  if (opts.policy != null && policies.length === 0)
    throw new UsageError(
      `no DataPolicy ${JSON.stringify(opts.policy)}. ${suggestion(
        opts.policy,
        state.dataPolicies.map((p) => p.name),
      )}`.trim(),
    );
  const store = await openFeatureStore(root, state);
  try {
    const results = [];
    for (const p of policies) results.push(await store.applyDataPolicy(p, state.featureViews));
    return { ok: true, value: results, diagnostics: r.diagnostics, sources: r.sources };
  } finally {
    await store.close();
  }
}

/**
 * Let a quarantine's rows back into training and the online table: recorded in the data lock
 * (so every checkout honours it) and committed, under the apply lock.
 */
export function dataRelease(opts: ReleaseOptions): Promise<ReleaseResult> {
  return releaseQuarantine(opts, defaultApplyPorts());
}

export { StoreError } from '../store/port.ts';
