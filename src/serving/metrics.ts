// Prometheus metrics of `rudder serve` (prom-client, on its own registry so embedding apps keep
// theirs): requests, errors and latency per model and version, the prediction-score histogram,
// the traffic weights in force, reloads, shadow scoring and the prediction log's backlog.
import { Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { Deployment } from './deployment.ts';

export type ErrorKind = 'bad-request' | 'not-found' | 'too-large' | 'model' | 'lookup' | 'log';

export class ServingMetrics {
  readonly registry = new Registry();
  readonly requests = new Counter({
    name: 'rudder_requests_total',
    help: 'Prediction requests, by model, version (empty when none was chosen), endpoint and HTTP status.',
    labelNames: ['model', 'version', 'endpoint', 'code'] as const,
    registers: [this.registry],
  });
  readonly errors = new Counter({
    name: 'rudder_errors_total',
    help: 'Failed prediction requests by model, version and kind (bad-request, not-found, too-large, model, lookup).',
    labelNames: ['model', 'version', 'kind'] as const,
    registers: [this.registry],
  });
  readonly latency = new Histogram({
    name: 'rudder_request_duration_seconds',
    help: 'Time from the request handler starting to the response being ready, by model and version.',
    labelNames: ['model', 'version'] as const,
    buckets: [0.0005, 0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });
  readonly scores = new Histogram({
    name: 'rudder_prediction_score',
    help: 'Prediction scores (binary: P(positive); regression: the value) by model and version.',
    labelNames: ['model', 'version'] as const,
    buckets: [0.05, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1],
    registers: [this.registry],
  });
  readonly missing = new Counter({
    name: 'rudder_missing_features_total',
    help: 'Predictions made with a feature missing (not supplied, and no fresh value in the online table), by model, version and feature.',
    labelNames: ['model', 'version', 'feature'] as const,
    registers: [this.registry],
  });
  readonly weights = new Gauge({
    name: 'rudder_traffic_weight',
    help: 'Share of traffic routed to each model version, as the rollout lock says.',
    labelNames: ['model', 'version'] as const,
    registers: [this.registry],
  });
  readonly reloads = new Counter({
    name: 'rudder_reloads_total',
    help: 'State reloads by result (swapped, unchanged, failed).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly shadowDuration = new Histogram({
    name: 'rudder_shadow_duration_seconds',
    help: "Time the champion took to shadow-score a challenger's rows during a canary (off the caller's path), by model and champion version.",
    labelNames: ['model', 'version'] as const,
    buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.1],
    registers: [this.registry],
  });
  readonly shadowRows = new Counter({
    name: 'rudder_shadow_rows_total',
    help: 'Challenger rows by shadow-scoring result: scored, skipped (the shadow queue was full) or failed (the champion threw).',
    labelNames: ['model', 'result'] as const,
    registers: [this.registry],
  });
  readonly logBuffered = new Gauge({
    name: 'rudder_prediction_log_buffered',
    help: 'Predictions and labels waiting in memory for the next prediction-log flush.',
    registers: [this.registry],
  });

  /** Set the weight gauges to what a deployment serves (versions no longer served go to 0). */
  setWeights(d: Deployment): void {
    for (const m of d.models.values())
      for (const v of m.weights) this.weights.set({ model: m.name, version: String(v.version) }, v.weight);
  }

  zeroWeights(d: Deployment): void {
    for (const m of d.models.values())
      for (const v of m.weights) this.weights.set({ model: m.name, version: String(v.version) }, 0);
  }
}
