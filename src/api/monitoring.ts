// Monitoring: drift of a model's current window against its reference profile, and its report.

/** Drift of a model's champion against the current window (prediction log or feature sources). Read-only. */
export { drift, type DriftRunOptions, type DriftRunResult } from '../compose/drift.ts';
export { renderDriftHtml } from '../report/drift-html.ts';
export { describeDataset, type DriftReport } from '../observe/drift.ts';
