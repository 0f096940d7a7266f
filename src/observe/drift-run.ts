// `rudder drift <model>`: the model's champion (or newest version) against the current window,
// with the settings of its RetrainPolicy's drift trigger (or the defaults), as a report. The
// workspace and the ports come from the caller (src/api-drift.ts through src/ports.ts).
import type { ArtifactStore } from '../artifacts/port.ts';
import type { DesiredState, Model, Trigger } from '../compiler/desired-state.ts';
import type { PredictionLog } from '../prediction-log/port.ts';
import type { LockState } from '../state/types.ts';
import type { FeatureStore } from '../store/port.ts';
import type { ModelRuntime } from '../trainer/runtime.ts';
import type { DriftReport } from './drift.ts';
import { observeDrift, settingsFromTrigger } from './drift-observe.ts';
import { ProfileError } from './profile-io.ts';

export interface DriftOptions {
  model: string;
  /** Window length in ms; default: the drift trigger's window, else 7 days. */
  windowMs?: number;
  /** The clock (the window's end). Default: now. */
  now?: Date;
  /** Windows of history in the report (the current one included). Default 8. */
  historyWindows?: number;
}

/** What a drift report reads: reference profiles, the log `rudder serve` writes, a runtime to re-score. */
export interface DriftPorts {
  artifacts: ArtifactStore;
  /** The prediction log, when it is to be read (it counts only when it has rows in the window). */
  log?: PredictionLog;
  /** Builds the label window (training set of the window's label rows) under `workDir`. */
  store?: FeatureStore;
  workDir?: string;
  runtimeFor(model: Model): ModelRuntime | undefined;
}

export type DriftOutcome = { ok: true; report: DriftReport } | { ok: false; error: string };

export async function driftOf(
  ws: { root: string; desired: DesiredState; lock: LockState },
  opts: DriftOptions,
  ports: DriftPorts,
): Promise<DriftOutcome> {
  const { desired, lock, root } = ws;
  const fail = (error: string): DriftOutcome => ({ ok: false, error });
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
  try {
    const report = await observeDrift({
      root,
      desired,
      model,
      version,
      artifacts: ports.artifacts,
      log: ports.log,
      ...(ports.store ? { store: ports.store } : {}),
      ...(ports.workDir ? { workDir: ports.workDir } : {}),
      now: opts.now ?? new Date(),
      windowMs: opts.windowMs ?? windowMs,
      settings,
      historyWindows: opts.historyWindows,
      runtime: ports.runtimeFor(model),
    });
    return { ok: true, report };
  } catch (e) {
    if (e instanceof ProfileError) return fail(e.message);
    throw e;
  }
}
