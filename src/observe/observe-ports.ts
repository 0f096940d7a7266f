// What observe() reads the world through. The composition root (src/ports.ts) fills these with
// the workspace's adapters; tests pass their own. Nothing in observe/ opens an adapter itself.
import type { ArtifactStore } from '../artifacts/port.ts';
import type { Model } from '../compiler/desired-state.ts';
import type { PredictionLog } from '../prediction-log/port.ts';
import type { LockState } from '../state/types.ts';
import type { FeatureStore } from '../store/port.ts';
import type { ModelRuntime } from '../trainer/runtime.ts';

/** What model observations (drift, live quality, label volume) read. */
export interface ModelObserveContext {
  /** The repository: drift windows and label counts read the declared source files under it. */
  root: string;
  lock: LockState;
  artifacts: ArtifactStore;
  /** The prediction log, when the project has one. */
  log?: PredictionLog;
  /** Loads a version for re-scoring labelled rows when the log has no predictions. */
  runtimeFor?: (model: Model) => ModelRuntime | undefined;
  /** A scratch directory for window training sets. */
  workDir: string;
}

/** The monitoring ports: a model context less what observe() has already (the lock, the artifacts). */
export type MonitoringPorts = Omit<ModelObserveContext, 'lock' | 'artifacts'>;

export interface ObservePorts {
  /** Views' and labels' freshness; label windows for live quality. */
  store: FeatureStore;
  /** Where the active versions' artifacts and the reference profiles are kept. */
  artifacts: ArtifactStore;
  /** The prediction log progressing rollouts are analysed from (an unwritten log reads empty). */
  predictionLog: PredictionLog;
  /** Drift, live quality and label volume; absent, no model observations are made. */
  monitoring?: MonitoringPorts;
}
