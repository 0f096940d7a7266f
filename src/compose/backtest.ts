// `rudder backtest`: replay a model's RetrainPolicy over history. At each step, observe and plan
// as of that time (the policies and lockfiles as they are; data as of the step), keep the
// triggers the plan's model.train gives, and apply the cooldown as a simulation
// (src/planner/backtest.ts). Nothing is trained, written or committed unless `train` is asked
// (backtest-train.ts, in a scratch copy). Re-exported by src/api/backtest.ts.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { observe } from '../observe/observe.ts';
import {
  decideStep,
  figuresOf,
  initialState,
  replayInputs,
  replayTimes,
  summarizeBacktest,
  triggersOf,
  type BacktestReport,
  type BacktestStep,
  type ReplayState,
  type StepObservation,
} from '../planner/backtest.ts';
import type { Workspace } from '../state/workspace.ts';
import type { FeatureStore } from '../store/port.ts';
import { suggestion } from '../util/did-you-mean.ts';
import { trainAndScore } from './backtest-train.ts';
import { defaultObservePorts } from './default-ports.ts';
import { fail } from './with-workspace.ts';
import { loadWorkspace, openStore, planObserved } from './workspace.ts';

export interface BacktestOptions {
  cwd: string;
  policiesDir?: string;
  model: string;
  from: Date;
  to: Date;
  everyMs: number;
  /** Train a candidate at each simulated retrain (in a scratch copy) and score it against the champion. */
  train?: boolean;
  /** Called before each step (progress on stderr for long replays). */
  onProgress?: (step: number, steps: number, at: Date, phase: 'replay' | 'train') => void;
}

export type { BacktestReport };

export type BacktestResult =
  | { ok: true; report: BacktestReport; diagnostics: Diagnostic[]; sources: Map<string, string> }
  | { ok: false; diagnostics: Diagnostic[]; sources: Map<string, string> };

export async function backtest(opts: BacktestOptions): Promise<BacktestResult> {
  const loaded = await loadWorkspace({ cwd: opts.cwd, policiesDir: opts.policiesDir });
  if (!loaded.ok) return loaded;
  const ws = loaded.value;
  const refuse = (d: Diagnostic): BacktestResult => ({
    ok: false,
    diagnostics: [...loaded.diagnostics, d],
    sources: loaded.sources,
  });
  const models = ws.desired.models.map((m) => m.name);
  if (!models.includes(opts.model))
    return refuse(
      fail(
        'api/unknown-resource',
        `no model ${JSON.stringify(opts.model)} in the policies`,
        suggestion(opts.model, models),
      ),
    );
  const rp = ws.desired.retrainPolicies.find((p) => p.model === opts.model);
  if (!rp)
    return refuse(
      fail(
        'api/unknown-resource',
        `model ${opts.model} has no RetrainPolicy: there are no triggers to replay`,
        'Add a RetrainPolicy for it (docs/monitoring.md).',
      ),
    );
  const store = await openStore(ws);
  try {
    const steps = await replay(ws, store, opts);
    const champion = ws.lock.models[opts.model]?.versions.find((v) => v.status === 'champion');
    const report: BacktestReport = {
      model: opts.model,
      from: opts.from.toISOString(),
      to: opts.to.toISOString(),
      everyMs: opts.everyMs,
      cooldownMs: rp.cooldownMs,
      triggers: rp.triggers,
      championMetrics: champion?.metrics ?? {},
      pending: steps.pending,
      steps: steps.steps,
      summary: summarizeBacktest(steps.steps),
    };
    if (opts.train)
      report.trains = await trainAndScore(ws, report, {
        onProgress: (i, n, at) => opts.onProgress?.(i, n, at, 'train'),
      });
    return { ok: true, report, diagnostics: loaded.diagnostics, sources: loaded.sources };
  } finally {
    await store.close();
  }
}

const DELIBERATE = new Set(['spec-changed', 'features-changed', 'no-version']);

async function replay(
  ws: Workspace,
  store: FeatureStore,
  opts: BacktestOptions,
): Promise<{ steps: BacktestStep[]; pending: string[] }> {
  const times = replayTimes(opts.from, opts.to, opts.everyMs);
  const cooldownMs = ws.desired.retrainPolicies.find((p) => p.model === opts.model)?.cooldownMs ?? 0;
  let state: ReplayState = initialState(ws.lock.models[opts.model]?.versions.at(-1), opts.from);
  const steps: BacktestStep[] = [];
  let pending: string[] = [];
  const ports = await defaultObservePorts(ws, store, { monitoring: true });
  try {
    for (const [i, at] of times.entries()) {
      opts.onProgress?.(i + 1, times.length, at, 'replay');
      const { obs, deliberate } = await observeStep(ws, ports, opts.model, state, at);
      if (i === 0) pending = deliberate;
      const d = decideStep(state, obs, cooldownMs);
      steps.push(d.step);
      state = d.state;
    }
  } finally {
    await ports.close();
  }
  return { steps, pending };
}

/** Observe and plan as of `at` for one model: its triggers (cooldown off) and figures. */
async function observeStep(
  ws: Workspace,
  ports: Awaited<ReturnType<typeof defaultObservePorts>>,
  model: string,
  state: ReplayState,
  at: Date,
): Promise<{ obs: StepObservation; deliberate: string[] }> {
  const observations = await observe(ws.desired, ws.lock, ports, at);
  const inputs = replayInputs(ws.desired, ws.lock, model, state);
  const plan = await planObserved({ ...ws, ...inputs }, observations, { now: at });
  const train = plan.actions.find((a) => a.type === 'model.train' && a.resource.name === model);
  const reasons = train?.type === 'model.train' ? train.reasons : [];
  const blocked = plan.blocked.find((b) => b.kind === 'Model' && b.name === model);
  const prefix = `Model ${model}: `;
  return {
    obs: {
      at: at.toISOString(),
      triggers: triggersOf(reasons),
      ...(blocked ? { blocked: blocked.reason } : {}),
      ...figuresOf(observations.models[model]),
      notes: plan.notes.filter((n) => n.startsWith(prefix)).map((n) => n.slice(prefix.length)),
    },
    deliberate: reasons.filter((r) => DELIBERATE.has(r.code)).map((r) => r.message),
  };
}
