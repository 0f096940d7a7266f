// `rudder drift <model>`: the model's champion (or newest version) against the current window,
// with the settings of its RetrainPolicy's drift trigger (or the defaults), as a report.
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openArtifactStore } from '../artifacts/local.ts';
import type { Trigger } from '../compiler/desired-state.ts';
import { defaultRuntimes } from '../trainer/runtimes.ts';
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { DEFAULT_PREDICTION_LOG_DIR, openPredictionLog } from '../prediction-log/parquet-log.ts';
import { loadWorkspace } from '../workspace.ts';
import type { DriftReport } from './drift.ts';
import { observeDrift, settingsFromTrigger } from './drift-observe.ts';
import { ProfileError } from './profile-io.ts';

export interface DriftRunOptions {
  cwd: string;
  model: string;
  /** Window length in ms; default: the drift trigger's window, else 7 days. */
  windowMs?: number;
  /** The clock (the window's end). Default: now. */
  now?: Date;
  /** Windows of history in the report (the current one included). Default 8. */
  historyWindows?: number;
  /** Read the prediction log under .rudder/predictions when it has rows. Default true. */
  predictionLog?: boolean;
}

export type DriftRunResult =
  | { ok: true; report: DriftReport; diagnostics: Diagnostic[]; sources: Map<string, string> }
  | { ok: false; diagnostics: Diagnostic[]; sources: Map<string, string>; error?: string };

export async function runDrift(opts: DriftRunOptions): Promise<DriftRunResult> {
  const ws = await loadWorkspace({ cwd: opts.cwd });
  if (!ws.ok) return ws;
  const { desired, lock, root } = ws.value;
  const fail = (error: string): DriftRunResult => ({
    ok: false,
    diagnostics: ws.diagnostics,
    sources: ws.sources,
    error,
  });
  const model = desired.models.find((m) => m.name === opts.model);
  if (!model)
    return fail(
      `no model ${JSON.stringify(opts.model)} in the policies (models: ${desired.models.map((m) => m.name).join(', ') || 'none'})`,
    );
  const ml = lock.models[model.name];
  const version =
    ml?.versions.find((v) => v.status === 'champion') ??
    [...(ml?.versions ?? [])].reverse().find((v) => v.status !== 'rejected');
  if (!ml || !version) return fail(`model ${model.name} has no trained version yet: run rudder apply first`);
  const rp = desired.retrainPolicies.find((p) => p.model === model.name);
  const trigger = rp?.triggers.find((t): t is Extract<Trigger, { type: 'drift' }> => t.type === 'drift');
  const { settings, windowMs } = settingsFromTrigger(trigger);
  // The log counts only when `rudder serve` has written one.
  const log =
    opts.predictionLog === false || !existsSync(join(root, DEFAULT_PREDICTION_LOG_DIR))
      ? undefined
      : openPredictionLog(root);
  const artifacts = openArtifactStore(root, desired.project.artifacts);
  try {
    const report = await observeDrift({
      root,
      desired,
      model,
      version,
      artifacts,
      log,
      now: opts.now ?? new Date(),
      windowMs: opts.windowMs ?? windowMs,
      settings,
      historyWindows: opts.historyWindows,
      runtime: defaultRuntimes(artifacts)[model.trainer.type],
    });
    return { ok: true, report, diagnostics: ws.diagnostics, sources: ws.sources };
  } catch (e) {
    if (e instanceof ProfileError) return fail(e.message);
    throw e;
  } finally {
    await log?.close();
  }
}
