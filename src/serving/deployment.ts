// What the server hosts: every model's versions with weight in its rollout lock, loaded through
// the ModelRuntime of their trainer (tfjs natively, command artifacts as ONNX), digest-verified.
// A Deployment is immutable; a reload builds a new one (reusing versions whose artifact did not
// change) and the server swaps one reference, so a request runs start to end on one Deployment
// and never sees half of a change. Old versions are disposed once their last request finished.
import { stat, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { openArtifactStore } from '../artifacts/local.ts';
import type { ArtifactStore } from '../artifacts/port.ts';
import type { FeatureView, Model } from '../compiler/desired-state.ts';
import type { ModelVersion, RolloutLock } from '../state/types.ts';
import type { FeatureRow, LoadedModel, Prediction } from '../trainer/runtime.ts';
import { defaultRuntimes, type RuntimeRegistry } from '../trainer/runtimes.ts';
import { nodeSha256 } from '../util/node-hash.ts';
import type { LoadWorkspace, Workspace } from '../state/workspace.ts';
import type { WeightedVersion } from './traffic.ts';

export interface ServedVersion {
  version: number;
  weight: number;
  digest: string;
  status: ModelVersion['status'];
  runtime: LoadedModel & { predictSync?(rows: readonly FeatureRow[]): Prediction[] };
}

export interface ServedModel {
  name: string;
  spec: Model;
  /** The views the model reads, by name. */
  views: Map<string, FeatureView>;
  versions: Map<number, ServedVersion>;
  /** Ascending by version; what the split uses. */
  weights: WeightedVersion[];
  rollout: { status: RolloutLock['status']; step: number; strategy: RolloutLock['strategy'] };
}

export interface LoadProblem {
  model: string;
  version?: number;
  message: string;
}

export class Deployment {
  /** Requests running on this deployment. */
  inflight = 0;
  private retired = false;
  private onDrained?: () => void;

  constructor(
    readonly models: ReadonlyMap<string, ServedModel>,
    /** Models the rollout locks name that could not be served, and why. */
    readonly problems: readonly LoadProblem[],
    /** Digest of what this deployment was built from (lockfiles and model specs). */
    readonly key: string,
    /** Digest of the feature locks when it was built. */
    readonly featureKey: string,
    readonly views: readonly FeatureView[],
  ) {}

  enter(): void {
    this.inflight++;
  }

  leave(): void {
    this.inflight--;
    if (this.retired && this.inflight === 0) this.onDrained?.();
  }

  /** Call `fn` once no request runs on this deployment any more (now, if none does). */
  retire(fn: () => void): void {
    this.retired = true;
    this.onDrained = fn;
    if (this.inflight === 0) fn();
  }
}

export interface BuildOptions {
  root: string;
  load: LoadWorkspace;
  previous?: Deployment;
  /** Runtimes by trainer type; default the built-in ones (tfjs, ONNX) over the project's artifact store. */
  runtimes?: RuntimeRegistry;
}

export type BuildResult =
  { ok: true; deployment: Deployment; loaded: number; reused: number } | { ok: false; error: string };

function deploymentKey(ws: Workspace): { key: string; featureKey: string } {
  const parts: string[] = [];
  const feats: string[] = [];
  for (const [path, text] of [...ws.lockTexts].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    if (/\/(models|rollouts)\//.test(path)) parts.push(`${path}\u0000${text}`);
    if (/\/features\//.test(path)) feats.push(`${path}\u0000${text}`);
  }
  for (const m of ws.desired.models) parts.push(`spec:${m.name}:${m.digest}`);
  return { key: nodeSha256(parts.join('\u0001')), featureKey: nodeSha256(feats.join('\u0001')) };
}

/** Read the state and build what it says to serve. */
export async function buildDeployment(opts: BuildOptions): Promise<BuildResult> {
  const ws = await opts.load({ cwd: opts.root });
  if (!ws.ok)
    return {
      ok: false,
      error: ws.diagnostics
        .filter((d) => d.severity === 'error')
        .slice(0, 5)
        .map((d) => `${d.file ?? ''} ${d.code}: ${d.message}`)
        .join('; '),
    };
  return buildFromWorkspace(ws.value, opts);
}

export async function buildFromWorkspace(ws: Workspace, opts: BuildOptions): Promise<BuildResult> {
  const { key, featureKey } = deploymentKey(ws);
  let store: ArtifactStore | undefined;
  const runtimes =
    opts.runtimes ??
    (() => {
      store = openArtifactStore(ws.root, ws.desired.project.artifacts);
      return defaultRuntimes(store);
    })();
  const specs = new Map(ws.desired.models.map((m) => [m.name, m]));
  const viewsByName = new Map(ws.desired.featureViews.map((v) => [v.name, v]));
  const models = new Map<string, ServedModel>();
  const problems: LoadProblem[] = [];
  let loaded = 0;
  let reused = 0;
  const prevModels = opts.previous?.models;
  for (const rollout of Object.values(ws.lock.rollouts).sort((a, b) => (a.model < b.model ? -1 : 1))) {
    const spec = specs.get(rollout.model);
    const modelLock = ws.lock.models[rollout.model];
    if (!spec || !modelLock) {
      problems.push({
        model: rollout.model,
        message: `the rollout lock names model ${rollout.model}, which ${spec ? 'has no model lock' : 'no policy declares'}`,
      });
      continue;
    }
    const active = rollout.versions.filter((v) => v.weight > 0);
    const versions = new Map<number, ServedVersion>();
    let failed: string | undefined;
    for (const a of active) {
      const mv = modelLock.versions.find((v) => v.version === a.version);
      if (!mv) {
        failed = `v${a.version} is in the rollout lock but not in the model lock`;
        break;
      }
      const prev = prevModels?.get(rollout.model);
      const old = prev?.versions.get(a.version);
      if (old && old.digest === mv.artifact.digest && prev!.spec.digest === spec.digest) {
        versions.set(a.version, { ...old, weight: a.weight, status: mv.status });
        reused++;
        continue;
      }
      try {
        const runtime = runtimes[mv.trainer.type];
        const lm = await runtime.load(spec, a.version, {
          digest: mv.artifact.digest,
          uri: mv.artifact.uri,
          size: 0,
        });
        versions.set(a.version, {
          version: a.version,
          weight: a.weight,
          digest: mv.artifact.digest,
          status: mv.status,
          runtime: lm,
        });
        loaded++;
      } catch (e) {
        failed = `v${a.version} (${mv.artifact.digest}) could not be loaded: ${(e as Error).message.split('\n')[0]}`;
        break;
      }
    }
    if (failed) {
      // Fail closed for this model: keep serving what was serving before, never a half-loaded set.
      problems.push({ model: rollout.model, message: failed });
      for (const v of versions.values())
        if (!prevModels?.get(rollout.model)?.versions.has(v.version)) await v.runtime.dispose();
      const prev = prevModels?.get(rollout.model);
      if (prev) models.set(rollout.model, prev);
      continue;
    }
    if (versions.size === 0) {
      problems.push({ model: rollout.model, message: 'no version has traffic in the rollout lock' });
      continue;
    }
    models.set(rollout.model, {
      name: rollout.model,
      spec,
      views: new Map(spec.views.map((v) => [v, viewsByName.get(v)!])),
      versions,
      weights: [...versions.values()]
        .map((v) => ({ version: v.version, weight: v.weight }))
        .sort((a, b) => a.version - b.version),
      rollout: { status: rollout.status, step: rollout.step, strategy: rollout.strategy },
    });
  }
  const views = [...new Set(ws.desired.models.filter((m) => models.has(m.name)).flatMap((m) => m.views))]
    .map((v) => viewsByName.get(v)!)
    .filter(Boolean);
  return { ok: true, deployment: new Deployment(models, problems, key, featureKey, views), loaded, reused };
}

/** Versions of `old` that `next` does not use any more (to dispose once `old` drains). */
export function droppedVersions(old: Deployment, next: Deployment): ServedVersion[] {
  const out: ServedVersion[] = [];
  for (const m of old.models.values())
    for (const v of m.versions.values()) {
      const n = next.models.get(m.name)?.versions.get(v.version);
      if (n?.runtime !== v.runtime) out.push(v);
    }
  return out;
}

/**
 * A cheap fingerprint of the files a deployment depends on (state/, the policies, rudder.yaml):
 * names, sizes and modification times. The server polls it; a change triggers a full reload,
 * which then decides by content digest whether anything it serves changed.
 */
export async function stateFingerprint(root: string, dirs: readonly string[]): Promise<string> {
  const parts: string[] = [];
  const walk = async (dir: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      parts.push(`${dir}:absent`);
      return;
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(dir, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile()) {
        const s = await stat(p).catch(() => undefined);
        parts.push(`${p}:${s?.size}:${s?.mtimeMs}`);
      }
    }
  };
  for (const d of dirs) await walk(resolve(root, d));
  const y = await stat(join(root, 'rudder.yaml')).catch(() => undefined);
  parts.push(`rudder.yaml:${y?.size}:${y?.mtimeMs}`);
  return nodeSha256(parts.join('\n'));
}
