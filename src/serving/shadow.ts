// Shadow scoring: during a canary, the champion also scores the feature rows a challenger
// answered, so canary analysis can compare both versions on the same labelled predictions
// (src/rollout/paired.ts). The champion's score is logged on the challenger's row and never
// returned. It runs off the caller's path — queued, and scored in a later turn of the event loop,
// after the response was written — in slices of at most `sliceMs`, so a request arriving meanwhile
// waits at most one slice. A full queue (more than `maxPending` rows waiting) drops the shadow
// score of new rows rather than letting the backlog grow: the row is logged without one.
import type { PredictionRecord } from '../prediction-log/port.ts';
import type { FeatureRow } from '../trainer/runtime.ts';
import type { Deployment, ServedVersion } from './deployment.ts';
import type { ServingMetrics } from './metrics.ts';

export interface ShadowJob {
  /** Held (enter/leave) until the job is scored, so a reload does not dispose the champion under it. */
  deployment: Deployment;
  champion: ServedVersion;
  rows: FeatureRow[];
  /** The challenger's log rows, in the order of `rows`; logged once the champion scored them. */
  records: PredictionRecord[];
}

export interface ShadowOptions {
  metrics: ServingMetrics;
  record: (rows: PredictionRecord[]) => void;
  /** Rows waiting for their shadow score beyond which new rows are logged without one. Default 2000. */
  maxPending?: number;
  /** Longest stretch of shadow scoring before yielding to requests. Default 2 ms. */
  sliceMs?: number;
}

export class ShadowScorer {
  private queue: ShadowJob[] = [];
  private pendingRows = 0;
  private scheduled = false;
  private idleWaiters: (() => void)[] = [];
  private readonly maxPending: number;
  private readonly sliceMs: number;

  constructor(private readonly opts: ShadowOptions) {
    this.maxPending = opts.maxPending ?? 2000;
    this.sliceMs = opts.sliceMs ?? 2;
  }

  /** Rows waiting for their shadow score. */
  get pending(): number {
    return this.pendingRows;
  }

  /** Queue a job; when the queue is full its rows are logged now, without a shadow score. */
  submit(job: ShadowJob): void {
    const model = job.records[0]?.model ?? '';
    if (this.pendingRows + job.rows.length > this.maxPending) {
      this.opts.metrics.shadowRows.inc({ model, result: 'skipped' }, job.rows.length);
      this.opts.record(job.records);
      return;
    }
    job.deployment.enter();
    this.queue.push(job);
    this.pendingRows += job.rows.length;
    this.schedule();
  }

  /** Resolves once every queued job is scored and logged (the server waits for it on close). */
  idle(): Promise<void> {
    if (this.queue.length === 0) return Promise.resolve();
    return new Promise((r) => this.idleWaiters.push(r));
  }

  private schedule(): void {
    if (this.scheduled) return;
    this.scheduled = true;
    // setImmediate, not a microtask: it runs after the I/O of this turn, i.e. after the
    // response that queued the job has been handed to the socket.
    setImmediate(() => {
      this.scheduled = false;
      void this.drain();
    });
  }

  private async drain(): Promise<void> {
    const start = performance.now();
    while (this.queue.length > 0 && performance.now() - start < this.sliceMs) {
      const job = this.queue.shift()!;
      await this.score(job);
    }
    if (this.queue.length > 0) this.schedule();
    else for (const w of this.idleWaiters.splice(0)) w();
  }

  private async score(job: ShadowJob): Promise<void> {
    const model = job.records[0]?.model ?? '';
    const t0 = performance.now();
    let records = job.records;
    try {
      const rt = job.champion.runtime;
      const preds = rt.predictSync ? rt.predictSync(job.rows) : await rt.predict(job.rows);
      this.opts.metrics.shadowDuration.observe(
        { model, version: String(job.champion.version) },
        (performance.now() - t0) / 1000,
      );
      records = job.records.map((r, i) => {
        const score = preds[i]?.score;
        return score != null && Number.isFinite(score)
          ? { ...r, shadow: { version: job.champion.version, score } }
          : r;
      });
      this.opts.metrics.shadowRows.inc({ model, result: 'scored' }, job.rows.length);
    } catch {
      // The champion failing on a row the challenger answered is not the caller's error; the
      // row is logged without a shadow score (analysis does not count it).
      this.opts.metrics.shadowRows.inc({ model, result: 'failed' }, job.rows.length);
    } finally {
      this.pendingRows -= job.rows.length;
      job.deployment.leave();
    }
    this.opts.record(records);
  }
}
