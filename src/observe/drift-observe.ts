// Observe drift for one model version: its reference profile (stored, or computed on demand from
// the recorded training set) against the current window (prediction log when it has rows,
// otherwise the feature sources, point in time), with the history of earlier windows.
import type { ArtifactStore } from '../artifacts/port.ts';
import type { DesiredState, Model, Trigger } from '../compiler/desired-state.ts';
import type { PredictionLog } from '../serving/prediction-log.ts';
import type { ModelVersion } from '../state/types.ts';
import { driftReport, type DriftReport, type DriftSettings } from './drift.ts';
import { readLogWindow, readSourceWindow, type WindowRows } from './drift-window.ts';
import { profileForVersion } from './profile-io.ts';
import type { DriftMethod } from './stats/column-drift.ts';

export interface ObserveDriftOptions {
  root: string;
  desired: DesiredState;
  model: Model;
  version: ModelVersion;
  artifacts: ArtifactStore;
  log?: PredictionLog;
  now: Date;
  windowMs: number;
  settings: DriftSettings;
  /** Windows of history (the current one included). Default 8; 1 reads only the current window. */
  historyWindows?: number;
}

type DriftTrigger = Extract<Trigger, { type: 'drift' }>;

/** Drift settings from a trigger (or the defaults: auto, share 0.5, 7d, 200 samples). */
export function settingsFromTrigger(t: DriftTrigger | undefined): {
  settings: DriftSettings;
  windowMs: number;
} {
  const ext = t as (DriftTrigger & { thresholds?: Partial<Record<DriftMethod, number>> }) | undefined;
  return {
    windowMs: t?.windowMs ?? 7 * 86_400_000,
    settings: {
      method: (t?.method ?? 'auto') as DriftSettings['method'],
      ...(t?.threshold != null ? { threshold: t.threshold } : {}),
      ...(ext?.thresholds ? { thresholds: ext.thresholds } : {}),
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
  let rows: WindowRows | null = null;
  if (opts.log) {
    // The log counts only when it has rows in the current window.
    const recent = await readLogWindow(opts.log, opts.model, curFrom, to);
    if (recent) rows = windows > 1 ? await readLogWindow(opts.log, opts.model, from, to) : recent;
  }
  rows ??= await readSourceWindow(opts.root, opts.model, opts.desired.featureViews, from, to);
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
