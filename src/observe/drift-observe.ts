// Observe drift for one model version: its reference profile (stored, or computed on demand from
// the recorded training set) against the current window, built like a training set (the model's
// prediction-log rows, else its label rows in the window with features point in time, else the
// views' entity rows weighted by label use), with the history of earlier windows.
import type { ArtifactStore } from '../artifacts/port.ts';
import type { DesiredState, Model, Trigger } from '../compiler/desired-state.ts';
import type { PredictionLog } from '../prediction-log/port.ts';
import type { ModelVersion } from '../state/types.ts';
import { driftReport, type DriftReport, type DriftSettings } from './drift.ts';
import {
  coverageOf,
  NARROW_SHARE,
  readLabelWindow,
  readLogWindow,
  readSourceWindow,
  type WindowRows,
} from './drift-window.ts';
import { StoreError, type FeatureStore } from '../store/port.ts';
import { formatDuration } from '../schema/vocabulary.ts';
import { profileForVersion, runtimeValue } from './profile-io.ts';
import type { FeatureRow, ModelRuntime } from '../trainer/runtime.ts';
import { parseArtifactUri } from '../artifacts/port.ts';
import type { CellValue } from './profile.ts';

export interface ObserveDriftOptions {
  root: string;
  desired: DesiredState;
  model: Model;
  version: ModelVersion;
  artifacts: ArtifactStore;
  log?: PredictionLog;
  /**
   * Builds the label window (a point-in-time training set of the label rows in it), written
   * under `workDir`. Without it the window is the views' entity rows weighted by label use.
   */
  store?: FeatureStore;
  workDir?: string;
  now: Date;
  windowMs: number;
  settings: DriftSettings;
  /** Windows of history (the current one included). Default 8; 1 reads only the current window. */
  historyWindows?: number;
  /**
   * Without a prediction log, score the current window's rows with the version (at most 50,000,
   * evenly spaced) so the report can compare prediction-score distributions.
   */
  runtime?: ModelRuntime;
}

type DriftTrigger = Extract<Trigger, { type: 'drift' }>;

/** Drift settings from a trigger (or the defaults: auto, share 0.5, 7d, 200 samples). */
export function settingsFromTrigger(t: DriftTrigger | undefined): {
  settings: DriftSettings;
  windowMs: number;
} {
  return {
    windowMs: t?.windowMs ?? 7 * 86_400_000,
    settings: {
      method: t?.method ?? 'auto',
      ...(t?.threshold != null ? { threshold: t.threshold } : {}),
      ...(t?.thresholds ? { thresholds: t.thresholds } : {}),
      share: t?.share ?? 0.5,
      minSamples: t?.minSamples ?? 200,
      features: t?.features ?? [],
    },
  };
}

export async function observeDrift(opts: ObserveDriftOptions): Promise<DriftReport> {
  const vp = await profileForVersion(opts.artifacts, opts.model, opts.version);
  const windows = Math.max(1, opts.historyWindows ?? 8);
  const to = opts.now;
  const curFrom = new Date(to.getTime() - opts.windowMs);
  const from = new Date(to.getTime() - windows * opts.windowMs);
  const rows = await currentWindow(opts, from, curFrom, windows);
  // Scoring needs whole feature rows; views keyed differently give none (rows.aligned is false).
  if (!rows.scores && rows.aligned && opts.runtime && vp.profile.prediction)
    rows.scores = await scoreWindow(opts, rows, curFrom.getTime());
  return driftReport(vp.profile, rows, opts.settings, {
    model: opts.model.name,
    version: opts.version.version,
    reference: {
      rows: vp.profile.rows,
      source: vp.source,
      ...(vp.digest ? { digest: vp.digest } : {}),
      sampleCap: vp.profile.sampleCap,
    },
    windowMs: opts.windowMs,
    historyWindows: windows,
  });
}

/**
 * The rows of the model's unit in [from, to]: the log's predictions when it has some in the
 * current window [curFrom, to] (flagged narrow when they are a sliver of it); else the label rows,
 * when the current window holds at least minSamples; else each view's entity rows weighted by
 * how often the label source uses the entity. The reason for a fallback is kept as the note.
 */
async function currentWindow(
  opts: ObserveDriftOptions,
  from: Date,
  curFrom: Date,
  windows: number,
): Promise<WindowRows> {
  const { model, now: to } = opts;
  const window = formatDuration(opts.windowMs);
  if (opts.log) {
    // The log counts only when it has rows in the current window.
    const v = opts.version.version;
    const recent = await readLogWindow(opts.log, model, curFrom, to, v);
    if (recent) {
      const at = Object.values(recent.columns)[0]?.at ?? recent.scores?.at ?? [];
      const coverage = coverageOf(at, curFrom.getTime(), to.getTime());
      const rows = windows > 1 ? (await readLogWindow(opts.log, model, from, to, v))! : recent;
      if (!coverage.narrow) return { ...rows, coverage };
      const span =
        coverage.instants <= 1
          ? 'all at one instant'
          : `spanning ${(coverage.share * 100).toFixed(1)}% of it (< ${NARROW_SHARE * 100}%)`;
      return {
        ...rows,
        coverage,
        note: `the ${recent.rows} prediction rows in the last ${window} are a narrow window, ${span} (one batch?): not read as drift`,
      };
    }
  }
  let why = 'no feature store to build the label window';
  if (opts.store) {
    try {
      const lw = await readLabelWindow(
        opts.store,
        model,
        opts.desired.featureViews,
        opts.desired.dataPolicies,
        from,
        to,
        opts.workDir ?? '.',
      );
      const cur =
        lw.columns[model.features[0]?.ref ?? '']?.at.filter((t) => t > curFrom.getTime()).length ?? 0;
      if (cur >= opts.settings.minSamples && cur > 0) return lw;
      why = `${cur} label rows in the last ${window} < minSamples ${opts.settings.minSamples}`;
    } catch (e) {
      if (!(e instanceof StoreError && e.code === 'store/no-labels')) throw e;
      why = 'no label rows';
    }
  }
  const w = await readSourceWindow(opts.root, model, opts.desired.featureViews, from, to, model.label);
  return {
    ...w,
    note: `${why}: the views' entity rows, each weighted by how often the label source uses its entity`,
  };
}

async function scoreWindow(
  opts: ObserveDriftOptions,
  w: WindowRows,
  from: number,
): Promise<{ values: CellValue[]; at: number[] }> {
  const cols = opts.model.features.map((f) => w.columns[f.ref]!);
  const at = cols[0]?.at ?? [];
  const idx: number[] = [];
  for (let i = 0; i < at.length; i++) if (at[i]! > from) idx.push(i);
  const step = Math.max(1, Math.ceil(idx.length / 50_000));
  const pick = idx.filter((_, k) => k % step === 0);
  const loaded = await opts.runtime!.load(opts.model, opts.version.version, {
    digest: parseArtifactUri(opts.version.artifact.uri).digest,
    uri: opts.version.artifact.uri,
    size: 0,
  });
  try {
    const rows: FeatureRow[] = pick.map((i) => {
      const row: FeatureRow = {};
      opts.model.features.forEach((f, j) => {
        row[f.ref] = runtimeValue(f.type, cols[j]!.values[i]);
      });
      return row;
    });
    const preds = rows.length ? await loaded.predict(rows) : [];
    return { values: preds.map((p) => p.score), at: pick.map((i) => at[i]!) };
  } finally {
    await loaded.dispose();
  }
}
