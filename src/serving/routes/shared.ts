// What the prediction routes share: holding the deployment a request runs on, and counting an
// answered request per version that served it.
import type { AppDeps } from '../app-deps.ts';
import type { Deployment } from '../deployment.ts';
import type { ServingMetrics } from '../metrics.ts';
import type { InstanceResult } from '../predict.ts';

/** Run `fn` on the deployment serving now; a reload swapping it meanwhile waits for `fn` to end before disposing. */
export async function withDeployment<T>(
  deps: Pick<AppDeps, 'deployment'>,
  fn: (d: Deployment) => Promise<T>,
): Promise<T> {
  const d = deps.deployment();
  d.enter();
  try {
    return await fn(d);
  } finally {
    d.leave();
  }
}

export function observeAnswered(
  metrics: ServingMetrics,
  model: string,
  results: readonly InstanceResult[],
  endpoint: string,
  started: number,
): void {
  const seconds = (performance.now() - started) / 1000;
  for (const v of new Set(results.map((r) => r.version))) {
    const version = String(v);
    metrics.requests.inc({ model, version, endpoint, code: '200' });
    metrics.latency.observe({ model, version }, seconds);
  }
}
