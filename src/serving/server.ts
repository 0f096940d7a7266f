// `rudder serve`: an HTTP server hosting every model's active versions as the rollout locks say.
// Endpoints: the Open Inference Protocol v2 (KServe, Triton, Seldon), a plain JSON predict that
// looks features up in the online table, delayed labels, Prometheus metrics.
//
// This file wires the ports together and owns the socket: the first deployment, the feature
// lookup, the prediction log, the reloader (reloader.ts) and the Fastify app (app.ts), then
// listen; close() undoes it in order. The routes live in routes/, the predict pipeline in predict.ts.
import { resolve } from 'node:path';
import type { LoadWorkspace } from '../state/workspace.ts';
import { openPredictionLog } from '../prediction-log/parquet-log.ts';
import type { PredictionLog } from '../prediction-log/port.ts';
import { buildApp, DEFAULT_BODY_LIMIT, DEFAULT_MAX_INSTANCES } from './app.ts';
import { buildDeployment, type Deployment } from './deployment.ts';
import { ServingMetrics } from './metrics.ts';
import { SnapshotLookup, type FeatureLookup } from './online-features.ts';
import { logRecorder } from './predict.ts';
import { Reloader, type ReloadOutcome } from './reloader.ts';
import { ShadowScorer } from './shadow.ts';

export { VERSION_HEADER } from './http-error.ts';
export type { ReloadOutcome } from './reloader.ts';

export const DEFAULT_PORT = 8080;

export interface ServeOptions {
  cwd: string;
  /** Default 127.0.0.1: serving on other interfaces is a deliberate choice. */
  host?: string;
  /** Default 8080; 0 picks a free port. */
  port?: number;
  /** The prediction log; default the Parquet log under .rudder/predictions. `false` turns logging off. */
  log?: PredictionLog | false;
  /** Feature lookups; default an in-memory snapshot of the online tables, retaken on change. */
  lookup?: FeatureLookup;
  /** How often the state is checked for changes. Default 500 ms. */
  pollMs?: number;
  /** Largest request body. Default 1 MiB. */
  bodyLimit?: number;
  /** Most instances in one request. Default 1000. */
  maxInstances?: number;
  clock?: () => Date;
  /** Operational messages (reloads, load problems); the CLI prints them to stderr. */
  onMessage?: (line: string) => void;
}

export interface RunningServer {
  url: string;
  port: number;
  metrics: ServingMetrics;
  deployment(): Deployment;
  /** Check the state now (the poller does this every pollMs). */
  reload(): Promise<ReloadOutcome>;
  /** Write the buffered predictions and labels to the log now (it does so every second anyway). */
  flushLog(): Promise<void>;
  /** Stop accepting, finish in-flight requests, flush the prediction log. */
  close(): Promise<void>;
}

export class ServeError extends Error {
  override name = 'ServeError';
}

/** The policies and lockfiles loaded, the first deployment built: what serving starts from. */
async function firstDeployment(
  root: string,
  load: LoadWorkspace,
  say: (line: string) => void,
): Promise<{ deployment: Deployment; storePath: string; watchDirs: string[] }> {
  const ws = await load({ cwd: root });
  if (!ws.ok)
    throw new ServeError(
      `cannot serve: the policies or lockfiles do not load (${ws.diagnostics
        .filter((d) => d.severity === 'error')
        .slice(0, 3)
        .map((d) => `${d.code}: ${d.message}`)
        .join('; ')}); run rudder validate`,
    );
  const project = ws.value.desired.project;
  const first = await buildDeployment({ root, load });
  if (!first.ok) throw new ServeError(`cannot serve: ${first.error}`);
  for (const p of first.deployment.problems) say(`not serving ${p.model}: ${p.message}`);
  return {
    deployment: first.deployment,
    storePath: resolve(root, project.store.path),
    watchDirs: [project.stateDir, project.policiesDir],
  };
}

/** What serving takes from the layer that composes it. */
export interface ServeDeps {
  /** Loads the policies and lockfiles (at start and on every reload). */
  load: LoadWorkspace;
}

/**
 * Load the state, build the app, listen. Resolves once the server accepts requests. The default
 * ports are composed by src/compose/serve.ts (`startServer`).
 */
export async function startServing(opts: ServeOptions, deps: ServeDeps): Promise<RunningServer> {
  const root = resolve(opts.cwd);
  const say = opts.onMessage ?? (() => undefined);
  const { load } = deps;
  const { deployment, storePath, watchDirs } = await firstDeployment(root, load, say);
  const lookup = opts.lookup ?? new SnapshotLookup(storePath);
  const metrics = new ServingMetrics();
  const reloader = await Reloader.create({
    root,
    load,
    watchDirs,
    initial: deployment,
    lookup,
    metrics,
    say,
  });
  const log: PredictionLog | undefined =
    opts.log === false
      ? undefined
      : (opts.log ??
        openPredictionLog(root, {
          onError: (e) => say(`prediction log flush failed (rows kept, retrying): ${e.message}`),
        }));
  metrics.setWeights(deployment);
  reloader.start(opts.pollMs ?? 500);
  const shadow = log ? new ShadowScorer({ metrics, record: logRecorder(log, metrics, say) }) : undefined;
  const app = buildApp({
    deployment: () => reloader.current(),
    lookup,
    ...(log ? { log } : {}),
    metrics,
    clock: opts.clock ?? (() => new Date()),
    say,
    bodyLimit: opts.bodyLimit ?? DEFAULT_BODY_LIMIT,
    maxInstances: opts.maxInstances ?? DEFAULT_MAX_INSTANCES,
    ...(shadow ? { shadow } : {}),
  });
  const host = opts.host ?? '127.0.0.1';
  let address: string;
  try {
    address = await app.listen({ host, port: opts.port ?? DEFAULT_PORT });
  } catch (e) {
    await reloader.stop();
    if (log) await log.close();
    throw new ServeError(`cannot listen on ${host}:${opts.port ?? DEFAULT_PORT}: ${(e as Error).message}`);
  }
  const port = Number(new URL(address).port);
  let closing: Promise<void> | undefined;
  return {
    url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
    port,
    metrics,
    deployment: () => reloader.current(),
    reload: () => reloader.reload(),
    flushLog: async () => {
      await shadow?.idle();
      if (log) await log.flush();
    },
    close: () =>
      (closing ??= (async () => {
        await reloader.stop();
        await app.close(); // waits for in-flight requests
        await shadow?.idle(); // their shadow scores, then their log rows
        if (log) await log.close(); // every logged prediction durable
        await lookup.close();
        for (const m of reloader.current().models.values())
          for (const v of m.versions.values()) await v.runtime.dispose();
      })()),
  };
}
