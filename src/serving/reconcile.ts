// `rudder reconcile --watch`: run a reconcile pass (api.reconcile: observe → plan → apply what the
// policies allow without a person → commit) on a jittered interval, with exponential backoff
// after errors, until the signal aborts. Each pass takes the apply lock only while it applies;
// on SIGTERM the running pass finishes its current action (or the executor's journal abandons
// it cleanly) and the loop ends without starting another.

export interface ReconcilePassResult {
  ok: boolean;
  summary: string;
}

export interface ReconcileWatchOptions<R extends ReconcilePassResult = ReconcilePassResult> {
  /** One pass (api.reconcile with the caller's options). */
  run: () => Promise<R>;
  /** Between passes. */
  intervalMs: number;
  /** ± this share of the interval, so many reconcilers do not run in step. Default 0.1. */
  jitter?: number;
  /** Longest wait after repeated errors. Default 10 minutes (or the interval, if longer). */
  maxBackoffMs?: number;
  signal?: AbortSignal;
  /** After each pass: its result, or the error that ended it, and when the next starts. */
  onRun?: (r: { result?: R; error?: Error; nextInMs: number }) => void;
  /** Randomness for the jitter (tests pass a seeded one). */
  random?: () => number;
}

const sleep = (ms: number, signal?: AbortSignal): Promise<void> =>
  new Promise((resolve) => {
    if (signal?.aborted) return resolve();
    const t = setTimeout(done, ms);
    function done(): void {
      clearTimeout(t);
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });

/** Run passes until the signal aborts. Resolves with the number of passes. */
export async function reconcileWatch<R extends ReconcilePassResult>(
  opts: ReconcileWatchOptions<R>,
): Promise<number> {
  const random = opts.random ?? Math.random;
  const jitter = opts.jitter ?? 0.1;
  const maxBackoff = Math.max(opts.maxBackoffMs ?? 600_000, opts.intervalMs);
  let failures = 0;
  let runs = 0;
  while (!opts.signal?.aborted) {
    let result: R | undefined;
    let error: Error | undefined;
    try {
      result = await opts.run();
      failures = result.ok ? 0 : failures + 1;
    } catch (e) {
      error = e as Error;
      failures++;
    }
    runs++;
    const base =
      failures === 0 ? opts.intervalMs : Math.min(maxBackoff, opts.intervalMs * 2 ** Math.min(failures, 16));
    const nextInMs = Math.max(0, Math.round(base * (1 + jitter * (2 * random() - 1))));
    opts.onRun?.({ result, error, nextInMs });
    if (opts.signal?.aborted) break;
    await sleep(nextInMs, opts.signal);
  }
  return runs;
}
