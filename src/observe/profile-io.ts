// Reference profiles: read a version's training split (Parquet, through DuckDB), profile it,
// score it with the version's model when a runtime is given, and keep the profile in the
// artifact store (canonical JSON, content-addressed). Old versions without a profile get one on
// demand from their recorded training-set snapshot.
import { parseArtifactUri, type ArtifactRef, type ArtifactStore } from '../artifacts/port.ts';
import type { Model } from '../compiler/desired-state.ts';
import type { ModelVersion } from '../state/types.ts';
import { withDuckDB } from '../store/duckdb/read-query.ts';
import { featureColumnName } from '../store/port.ts';
import type { FeatureRow, LoadedModel } from '../trainer/runtime.ts';
import { defaultRuntimes } from '../trainer/runtimes.ts';
import { splitRows } from '../trainer/evaluation/split.ts';
import { canonicalJson } from '../util/canonical.ts';
import {
  isNumericType,
  PROFILE_VERSION,
  profileColumn,
  type CellValue,
  type ProfileColumnType,
  type ReferenceProfile,
} from './profile.ts';

export class ProfileError extends Error {
  override name = 'ProfileError';
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
  }
}

const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;
const ident = (s: string): string => `"${s.replace(/"/g, '""')}"`;

export interface SplitColumns {
  rows: number;
  /** By feature ref, in file order (all rows). */
  columns: Record<string, CellValue[]>;
}

/** Read the model's feature columns of a training-set Parquet file, all rows in file order. */
export async function readFeatureColumns(path: string, model: Model): Promise<SplitColumns> {
  return withDuckDB({ threads: 2 }, async (conn) => {
    const select = model.features.map((f, i) => {
      const c = ident(featureColumnName(f.ref));
      if (f.type === 'timestamp') return `CAST(${c} AS VARCHAR) AS "f${i}"`;
      if (isNumericType(f.type)) return `CAST(${c} AS DOUBLE) AS "f${i}"`;
      return `CAST(${c} AS VARCHAR) AS "f${i}"`;
    });
    let cols: unknown[][];
    try {
      const r = await conn.runAndReadAll(`SELECT ${select.join(', ')} FROM read_parquet(${literal(path)})`);
      cols = r.getColumnsJS();
    } catch (e) {
      throw new ProfileError(`cannot read training set ${path}: ${firstLine(e)}`, { cause: e });
    }
    const columns: Record<string, CellValue[]> = {};
    model.features.forEach((f, i) => {
      columns[f.ref] = (cols[i] ?? []) as CellValue[];
    });
    return { rows: cols[0]?.length ?? 0, columns };
  });
}

/**
 * A value read from DuckDB as a model runtime takes it: bigints as numbers, times as ISO text,
 * and bools — read as text ("true"/"false") by the profile and window readers — as booleans.
 */
export function runtimeValue(type: string, v: CellValue): FeatureRow[string] {
  if (v == null) return null;
  if (typeof v === 'bigint') return Number(v);
  if (v instanceof Date) return v.toISOString();
  if (type === 'bool' && typeof v === 'string') return v === 'true';
  return v;
}

export interface BuildProfileOptions {
  model: Model;
  /** The training set as written for this version (Parquet). */
  path: string;
  /** The version's seed: the split and the reservoir sample follow it. */
  seed: number;
  sampleCap?: number;
  /** When given, the model's scores on the training split are profiled too. */
  loaded?: LoadedModel;
}

/** Profile the training split (the rows the model was fitted on) of a training-set file. */
export async function buildProfile(opts: BuildProfileOptions): Promise<ReferenceProfile> {
  const data = await readFeatureColumns(opts.path, opts.model);
  const train = splitRows(data.rows, opts.model.split, opts.seed).train;
  const features: ReferenceProfile['features'] = {};
  for (const f of opts.model.features) {
    const all = data.columns[f.ref]!;
    features[f.ref] = profileColumn(
      { type: f.type, values: train.map((i) => all[i]) },
      { seed: opts.seed, sampleCap: opts.sampleCap },
    );
  }
  let prediction: ReferenceProfile['prediction'];
  if (opts.loaded) {
    const cap = opts.sampleCap ?? 50_000;
    // Score at most `cap` training rows, evenly spaced: scores only feed the score histogram.
    const step = Math.max(1, Math.ceil(train.length / cap));
    const idx = train.filter((_, k) => k % step === 0);
    const rows: FeatureRow[] = idx.map((i) => {
      const row: FeatureRow = {};
      for (const f of opts.model.features) {
        row[f.ref] = runtimeValue(f.type, data.columns[f.ref]![i]);
      }
      return row;
    });
    const preds = rows.length > 0 ? await opts.loaded.predict(rows) : [];
    prediction = profileColumn(
      { type: 'score', values: preds.map((p) => p.score) },
      { seed: opts.seed, sampleCap: opts.sampleCap },
    );
  }
  return {
    profileVersion: PROFILE_VERSION,
    rows: train.length,
    sampleCap: opts.sampleCap ?? 50_000,
    seed: opts.seed,
    features,
    ...(prediction ? { prediction } : {}),
  };
}

/** Store a profile as canonical JSON; equal profiles get equal digests. */
export function storeProfile(store: ArtifactStore, profile: ReferenceProfile): Promise<ArtifactRef> {
  return store.putBytes(new TextEncoder().encode(canonicalJson(profile)));
}

export async function loadProfile(store: ArtifactStore, digest: string): Promise<ReferenceProfile> {
  let text: string;
  try {
    text = new TextDecoder().decode(await store.getBytes(digest));
  } catch (e) {
    throw new ProfileError(
      `reference profile ${digest} cannot be read from ${store.description}: ${firstLine(e)}`,
      {
        cause: e,
      },
    );
  }
  const p = JSON.parse(text) as ReferenceProfile;
  const found: unknown = p.profileVersion;
  if (found !== PROFILE_VERSION)
    throw new ProfileError(
      `reference profile ${digest} has profileVersion ${String(found)}; this Rudder reads ${PROFILE_VERSION}`,
    );
  return p;
}

export interface VersionProfile {
  profile: ReferenceProfile;
  /** Where it came from: the lock's profile, or computed now from the recorded training set. */
  source: 'stored' | 'computed';
  digest?: string;
}

/**
 * The reference profile of a version: the stored one when the lock records it, otherwise one
 * computed on demand from the version's recorded training-set snapshot. Fails closed (a
 * ProfileError naming what is missing) when neither can be read.
 */
export async function profileForVersion(
  store: ArtifactStore,
  model: Model,
  version: ModelVersion,
): Promise<VersionProfile> {
  if (version.profile) {
    const profile = await loadProfile(store, version.profile.digest);
    return { profile, source: 'stored', digest: version.profile.digest };
  }
  if (!version.trainingSet.uri)
    throw new ProfileError(
      `${model.name} v${version.version} has no reference profile and no recorded training-set snapshot to compute one from`,
    );
  let path: string;
  try {
    path = await store.localPath(parseArtifactUri(version.trainingSet.uri).digest);
  } catch (e) {
    throw new ProfileError(
      `${model.name} v${version.version}: training-set snapshot ${version.trainingSet.digest} is not in ${store.description}: ${firstLine(e)}`,
      { cause: e },
    );
  }
  const profile = await buildProfile({ model, path, seed: version.seed });
  return { profile, source: 'computed' };
}

/** Column types of a profile, for messages and reports. */
export function profileTypes(p: ReferenceProfile): Record<string, ProfileColumnType> {
  return Object.fromEntries(Object.entries(p.features).map(([k, v]) => [k, v.type]));
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split('\n')[0] ?? String(e);
}

/**
 * At train time: profile the training split with the new version's scores, and store it. A
 * version whose artifact cannot be loaded for scoring (an external trainer without an ONNX
 * export) gets a profile without scores; reading the training set must succeed.
 */
export async function storeTrainingProfile(
  store: ArtifactStore,
  model: Model,
  path: string,
  seed: number,
  version: number,
  artifact: ArtifactRef,
): Promise<ArtifactRef> {
  let loaded: LoadedModel | undefined;
  try {
    loaded = await defaultRuntimes(store)[model.trainer.type].load(model, version, artifact);
  } catch {
    loaded = undefined;
  }
  try {
    return await storeProfile(store, await buildProfile({ model, path, seed, loaded }));
  } finally {
    await loaded?.dispose();
  }
}
