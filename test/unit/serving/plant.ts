// Test helpers for serving and rollouts: plant model versions and rollout weights in a real
// repository's state (lockfiles written the way apply writes them), and store ONNX artifacts.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArtifactStore } from '../../../src/artifacts/local.ts';
import type { Model } from '../../../src/compiler/desired-state.ts';
import { renderLockfile } from '../../../src/state/lockfile.ts';
import { lockPath } from '../../../src/state/lock-paths.ts';
import { readLockState, writeLockChanges } from '../../../src/state/state-io.ts';
import type { ModelLock, ModelVersion, RolloutLock } from '../../../src/state/types.ts';
import type { OnnxManifest } from '../../../src/trainer/onnx/runtime.ts';
import { linearOnnx } from './onnx-fixture.ts';

export async function readLocks(repo: string): Promise<{ model: ModelLock; rollout: RolloutLock }> {
  const s = await readLockState(repo, 'state');
  if (!s.ok) throw new Error(JSON.stringify(s.diagnostics));
  return { model: s.value.models.churn!, rollout: s.value.rollouts.churn! };
}

/** Store an ONNX model for `model` whose columns are the model's features (categories one-hot). */
export async function storeOnnx(
  repo: string,
  model: Model,
  opts: {
    weights?: (width: number) => number[];
    bias?: number;
    sigmoid?: boolean;
    widthDelta?: number;
    vocab?: Record<string, string[]>;
  },
): Promise<{ digest: string; uri: string }> {
  const columns: OnnxManifest['columns'] = model.features.map((f) =>
    f.type === 'category' || f.type === 'string'
      ? { ref: f.ref, type: f.type, vocab: opts.vocab?.[f.ref] ?? ['a', 'b'] }
      : { ref: f.ref, type: f.type },
  );
  const width = columns.reduce((w, c) => w + (c.vocab ? c.vocab.length + 1 : 1), 0) + (opts.widthDelta ?? 0);
  const dir = mkdtempSync(join(tmpdir(), 'rudder-onnx-art-'));
  try {
    writeFileSync(
      join(dir, 'model.onnx'),
      linearOnnx({
        weights: opts.weights?.(width) ?? Array(width).fill(0),
        bias: opts.bias ?? 0,
        sigmoid: opts.sigmoid ?? true,
      }),
    );
    const manifest: OnnxManifest = {
      format: 'rudder.onnx',
      version: 1,
      input: 'features',
      columns,
      classes: [0, 1],
    };
    writeFileSync(join(dir, 'rudder-onnx.json'), JSON.stringify(manifest));
    const ref = await openArtifactStore(repo).putDir(dir);
    return { digest: ref.digest, uri: ref.uri };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * Add a version (a copy of v1's provenance with another artifact and trainer) as a challenger,
 * and set the rollout's weights. Written as one state transaction, like apply.
 */
export async function plantVersion(
  repo: string,
  opts: {
    version: number;
    artifact?: { digest: string; uri: string };
    trainer?: ModelVersion['trainer'];
    weights: { version: number; weight: number }[];
    strategy?: RolloutLock['strategy'];
    at: string;
    startedAt?: string;
  },
): Promise<void> {
  const { model, rollout } = await readLocks(repo);
  const base = model.versions[0]!;
  const versions = model.versions.filter((v) => v.version !== opts.version);
  if (!model.versions.some((v) => v.version === opts.version))
    versions.push({
      ...base,
      version: opts.version,
      status: 'challenger',
      statusHistory: [{ status: 'challenger', at: opts.at, reason: 'planted by a test' }],
      artifact: opts.artifact ?? base.artifact,
      trainer: opts.trainer ?? base.trainer,
    });
  const nextModel: ModelLock = { ...model, versions: versions.sort((a, b) => a.version - b.version) };
  const nextRollout: RolloutLock = {
    ...rollout,
    strategy: opts.strategy ?? 'canary',
    status: 'progressing',
    step: 0,
    versions: opts.weights.filter((w) => w.weight > 0 || true).sort((a, b) => a.version - b.version),
    analysis: [],
    startedAt: opts.startedAt ?? opts.at,
    updatedAt: opts.startedAt ?? opts.at,
    reason: 'planted by a test',
  };
  await writeLockChanges(repo, 'state', [
    { path: lockPath('state', 'ModelLock', 'churn'), content: renderLockfile(nextModel) },
    { path: lockPath('state', 'RolloutLock', 'churn'), content: renderLockfile(nextRollout) },
  ]);
}

/** Customer ids and labels from the repository's sample label file. */
export function sampleLabels(repo: string): { id: string; label: number; at: string }[] {
  const lines = readFileSync(join(repo, 'data', 'churn_labels.csv'), 'utf8')
    .trim()
    .split('\n');
  const header = lines[0]!.split(',');
  const id = header.indexOf('customer_id');
  const y = header.indexOf('churned');
  const ts = header.indexOf('label_ts');
  return lines.slice(1).map((l) => {
    const c = l.split(',');
    return { id: c[id]!, label: Number(c[y]), at: c[ts]! };
  });
}

/**
 * Customers of the sample world still there at `now` first: labelled "did not leave" within the
 * four weeks before it (the label says they stayed at least four weeks past its time). Customers
 * come and go in the sample world, so an arbitrary labelled one may have left long before `now`.
 */
export function activeFirst(
  labels: readonly { id: string; label: number; at: string }[],
  now: Date,
): { id: string; label: number; at: string }[] {
  const active = (l: { label: number; at: string }): boolean => {
    const t = Date.parse(l.at);
    return l.label === 0 && t <= now.getTime() && t > now.getTime() - 28 * 86_400_000;
  };
  const unique = [...new Map(labels.map((l) => [l.id, l])).values()];
  const stay = new Set(labels.filter(active).map((l) => l.id));
  return [...unique.filter((l) => stay.has(l.id)), ...unique.filter((l) => !stay.has(l.id))];
}
