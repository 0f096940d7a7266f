// Hot reload: poll the state's fingerprint (names, sizes, mtimes of state/, the policies and
// rudder.yaml); when it changes, build the next Deployment (reusing versions whose artifact did
// not change), retake the online-feature snapshot if a feature lock changed, and swap one
// reference. Requests hold the deployment they started on; versions no longer served are disposed
// once its last request ends. A build that fails leaves the previous deployment serving.
import type { LoadWorkspace } from '../state/workspace.ts';
import { buildDeployment, type Deployment, droppedVersions, stateFingerprint } from './deployment.ts';
import type { ServingMetrics } from './metrics.ts';
import type { FeatureLookup } from './online-features.ts';

export interface ReloadOutcome {
  result: 'swapped' | 'unchanged' | 'failed';
  message: string;
}

export interface ReloaderOptions {
  root: string;
  load: LoadWorkspace;
  /** Folders (and files) whose fingerprint triggers a reload. */
  watchDirs: readonly string[];
  /** The deployment served first (already built). */
  initial: Deployment;
  lookup: FeatureLookup;
  metrics: ServingMetrics;
  say: (line: string) => void;
}

/** `rudder serve` lines: `churn v1 90% / v2 10%; fraud v3 100%`. */
export function describeDeployment(d: Deployment): string {
  return [...d.models.values()]
    .map(
      (m) =>
        `${m.name} ${m.weights.map((w) => `v${w.version} ${Math.round(w.weight * 1000) / 10}%`).join(' / ')}`,
    )
    .join('; ');
}

export class Reloader {
  private currentDeployment: Deployment;
  private fingerprint = '';
  /** The feature locks' digest the lookup's snapshot was taken at (snapshot lookups only). */
  private snapshotKey: string | undefined;
  private reloading: Promise<ReloadOutcome> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;

  private constructor(private readonly opts: ReloaderOptions) {
    this.currentDeployment = opts.initial;
  }

  /** Takes the first feature snapshot and fingerprint; `start()` begins polling. */
  static async create(opts: ReloaderOptions): Promise<Reloader> {
    const r = new Reloader(opts);
    await r.refreshFeatures(opts.initial);
    r.fingerprint = await stateFingerprint(opts.root, opts.watchDirs);
    return r;
  }

  current(): Deployment {
    return this.currentDeployment;
  }

  start(pollMs: number): void {
    this.timer ??= setInterval(() => this.poll(), pollMs);
  }

  /** Stop polling and wait for a reload under way. */
  async stop(): Promise<void> {
    clearInterval(this.timer);
    await this.reloading?.catch(() => undefined);
  }

  /** Check the state now; concurrent calls share one reload. */
  reload(): Promise<ReloadOutcome> {
    return (this.reloading ??= this.reloadOnce().finally(() => {
      this.reloading = undefined;
    }));
  }

  private poll(): void {
    if (this.reloading) return;
    const { root, watchDirs, lookup, say } = this.opts;
    void stateFingerprint(root, watchDirs)
      .then(async (fp) => {
        // A snapshot that could not be retaken last time is retried even when nothing changed.
        const staleSnapshot = lookup.refresh && this.snapshotKey !== this.currentDeployment.featureKey;
        if (fp !== this.fingerprint || staleSnapshot) say((await this.reload()).message);
      })
      .catch((e: unknown) => say(`state check failed: ${(e as Error).message}`));
  }

  private async reloadOnce(): Promise<ReloadOutcome> {
    const { root, watchDirs, metrics, say } = this.opts;
    try {
      const fp = await stateFingerprint(root, watchDirs);
      const built = await buildDeployment({ root, load: this.opts.load, previous: this.currentDeployment });
      if (!built.ok) {
        metrics.reloads.inc({ result: 'failed' });
        return {
          result: 'failed',
          message: `state not reloaded (still serving the previous one): ${built.error}`,
        };
      }
      this.fingerprint = fp;
      const next = built.deployment;
      await this.refreshFeatures(next);
      if (next.key === this.currentDeployment.key) {
        metrics.reloads.inc({ result: 'unchanged' });
        return { result: 'unchanged', message: 'no served version changed' };
      }
      this.swap(next);
      for (const p of next.problems) say(`not serving ${p.model}: ${p.message}`);
      metrics.reloads.inc({ result: 'swapped' });
      return {
        result: 'swapped',
        message: `reloaded (${built.loaded} loaded, ${built.reused} kept): ${describeDeployment(next)}`,
      };
    } catch (e) {
      metrics.reloads.inc({ result: 'failed' });
      return { result: 'failed', message: `state not reloaded: ${(e as Error).message}` };
    }
  }

  private swap(next: Deployment): void {
    const old = this.currentDeployment;
    this.currentDeployment = next;
    this.opts.metrics.zeroWeights(old);
    this.opts.metrics.setWeights(next);
    const dropped = droppedVersions(old, next);
    old.retire(() => {
      for (const v of dropped) void Promise.resolve(v.runtime.dispose()).catch(() => undefined);
    });
  }

  /** Retake the lookup's snapshot when the deployment's feature locks differ from the snapshot's. */
  private async refreshFeatures(d: Deployment): Promise<void> {
    const { lookup, say } = this.opts;
    if (!lookup.refresh || this.snapshotKey === d.featureKey) return;
    try {
      const r = await lookup.refresh(d.views);
      this.snapshotKey = d.featureKey;
      // Per view: two views of the same 4,000 customers are 4,000 entities each, not 8,000.
      const counts = d.views.map((v) => `${v.name} ${r.perView[v.name] ?? 0} entities`);
      say(`online features: ${counts.join(', ') || 'no view'}`);
    } catch (e) {
      // Kept: the previous snapshot (a writer may hold the store for a moment); retried next poll.
      say(`online features not refreshed: ${(e as Error).message}`);
    }
  }
}
