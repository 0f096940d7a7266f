// What the app and its route plugins are built with (src/serving/app.ts registers the plugins in
// routes/, which read these ports): kept apart so the plugins need not import the app.
import type { PredictionLog } from '../prediction-log/port.ts';
import type { Deployment } from './deployment.ts';
import type { ServingMetrics } from './metrics.ts';
import type { FeatureLookup } from './online-features.ts';
import type { PredictDeps } from './predict.ts';
import type { ShadowScorer } from './shadow.ts';

export interface AppDeps {
  /** The deployment serving now (the reloader swaps it between requests). */
  deployment: () => Deployment;
  lookup: FeatureLookup;
  /** Absent: predictions and labels are not logged. */
  log?: PredictionLog;
  metrics: ServingMetrics;
  clock: () => Date;
  /** Operational messages (a failed log append). */
  say: (line: string) => void;
  /** Largest request body, bytes. */
  bodyLimit: number;
  /** Most instances (rows) in one request; labels: ten times as many. */
  maxInstances: number;
  /** Shadow scoring during canaries; default one over `log` (none without a log). */
  shadow?: ShadowScorer;
}

/** What the route plugins are registered with: the app's ports plus the predict pipeline's. */
export interface RouteDeps extends AppDeps {
  predictDeps: PredictDeps;
}
