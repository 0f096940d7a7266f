// How each action's outcome changes the locks. Pure: results, the clock and provenance in,
// new lock values out; the executor writes them.
import { specSnapshot } from '../compiler/spec-diff.ts';
import type { DataPolicy, FeatureView, Model } from '../compiler/desired-state.ts';
import {
  LOCK_VERSION,
  type DataLock,
  type FeatureLock,
  type GateResult,
  type ModelLock,
  type ModelVersion,
  type Provenance,
  type RolloutLock,
  type VersionStatus,
} from '../state/types.ts';
import type { MaterializeResult, PiiScanResult, QuarantineRecord, TrainingSet } from '../store/port.ts';
import type { GateDecision } from '../trainer/evaluation/gates.ts';
import type { TrainResult } from '../trainer/trainer.ts';

export function featureLockAfter(
  view: Pick<FeatureView, 'name' | 'digest'>,
  r: MaterializeResult,
  sourceDigest: string,
  at: string,
  prov: Provenance,
): FeatureLock {
  return {
    kind: 'FeatureLock',
    lockVersion: LOCK_VERSION,
    view: view.name,
    viewDigest: view.digest,
    watermark: r.watermark,
    rows: r.onlineRows ?? r.rows,
    materializedAt: at,
    sourceDigest: r.sourceDigest ?? sourceDigest,
    ...prov,
  };
}

export function dataLockAfter(
  prev: DataLock | undefined,
  policy: Pick<DataPolicy, 'name' | 'digest'>,
  scan: PiiScanResult & { quarantines?: QuarantineRecord[] },
  at: string,
  prov: Provenance,
): DataLock {
  const scans = new Map((prev?.scans ?? []).map((s) => [s.view, s]));
  for (const s of scan.scans ?? []) {
    scans.set(s.view, {
      view: s.view,
      at,
      scannedRows: s.scannedRows,
      sourceDigest: s.sourceDigest,
      findings: s.findings
        .map((f) => ({ column: f.column, detector: f.detector, rows: f.rows, allowed: f.allowed }))
        .sort((a, b) => (a.column + a.detector < b.column + b.detector ? -1 : 1)),
    });
  }
  const quarantines = new Map((prev?.quarantines ?? []).map((q) => [q.id, q]));
  for (const q of scan.quarantines ?? []) {
    const old = quarantines.get(q.id);
    // A released quarantine stays released: the id is derived from the same rows.
    if (old) continue;
    quarantines.set(q.id, {
      id: q.id,
      view: q.view,
      column: q.column,
      detector: q.detector,
      rows: q.rows,
      digest: q.digest,
      at,
      reason: `${policy.name}: ${q.detector} in ${q.column} (${q.file})`,
      ...prov,
    });
  }
  return {
    kind: 'DataLock',
    lockVersion: LOCK_VERSION,
    policy: policy.name,
    policyDigest: policy.digest,
    scans: [...scans.values()].sort((a, b) => (a.view < b.view ? -1 : 1)),
    quarantines: [...quarantines.values()].sort((a, b) => (a.id < b.id ? -1 : 1)),
  };
}

export interface CandidateInput {
  model: Model;
  views: readonly FeatureView[];
  version: number;
  result: TrainResult;
  trainingSet: TrainingSet;
  trainingSetUri?: string;
  /** The data checks' figures, recorded with the version. */
  checks?: { nullShare: Record<string, number>; coverage: Record<string, number> };
  /** The reference profile stored for drift monitoring. */
  profile?: { digest: string; uri: string };
  seed: number;
  at: string;
  prov: Provenance;
  reason: string;
}

export function modelLockWithCandidate(prev: ModelLock | undefined, c: CandidateInput): ModelLock {
  const featureViewDigests: Record<string, string> = {};
  for (const v of c.model.views) featureViewDigests[v] = c.views.find((x) => x.name === v)!.digest;
  const version: ModelVersion = {
    version: c.version,
    status: 'candidate',
    statusHistory: [{ status: 'candidate', at: c.at, reason: c.reason, ...c.prov }],
    specDigest: c.model.digest,
    spec: specSnapshot(c.model),
    featureViewDigests,
    trainingSet: {
      digest: c.trainingSet.digest,
      cutoff: c.trainingSet.cutoff,
      rows: c.trainingSet.rows,
      ...(c.trainingSetUri ? { uri: c.trainingSetUri } : {}),
      ...(c.checks ? { checks: c.checks } : {}),
    },
    holdout: { digest: c.result.holdout.digest, rows: c.result.holdout.rows, from: c.result.holdout.from },
    seed: c.seed,
    trainer: { type: c.model.trainer.type, backend: c.result.backend },
    metrics: { ...c.result.metrics },
    artifact: { digest: c.result.artifact.digest, uri: c.result.artifact.uri },
    ...(c.profile ? { profile: { digest: c.profile.digest, uri: c.profile.uri } } : {}),
    trainedAt: c.at,
    ...c.prov,
  };
  return {
    kind: 'ModelLock',
    lockVersion: LOCK_VERSION,
    name: c.model.name,
    specDigest: c.model.digest,
    versions: [...(prev?.versions ?? []).filter((v) => v.version !== c.version), version].sort(
      (a, b) => a.version - b.version,
    ),
  };
}

function setStatus(
  v: ModelVersion,
  status: VersionStatus,
  at: string,
  reason: string,
  prov: Provenance,
): ModelVersion {
  if (v.status === status) return v;
  return { ...v, status, statusHistory: [...v.statusHistory, { status, at, reason, ...prov }] };
}

export function gateResults(d: GateDecision): GateResult[] {
  return d.checks
    .filter((c) => c.status !== 'skipped' && c.candidate != null)
    .map((c) => ({
      metric: c.metric,
      rule: c.kind,
      value: c.candidate!,
      threshold: c.threshold,
      passed: c.status === 'passed',
    }));
}

export interface PromotionInput {
  lock: ModelLock;
  version: number;
  decision: GateDecision;
  /** `direct` promotes to champion; `canary`/`abTest` make a challenger next to the champion. */
  strategy: 'direct' | 'canary' | 'abTest';
  /** Traffic share of the challenger at the first step (staged strategies). */
  weight: number;
  rollout: RolloutLock | undefined;
  policyDigest?: string;
  at: string;
  prov: Provenance;
}

export function promote(p: PromotionInput): {
  model: ModelLock;
  rollout?: RolloutLock;
  outcome: 'champion' | 'challenger' | 'rejected';
} {
  const champion = p.lock.versions.find((v) => v.status === 'champion');
  const gates = gateResults(p.decision);
  const summary = p.decision.checks.map((c) => c.reason).join('; ') || 'no gates';
  if (p.decision.decision === 'rejected') {
    const versions = p.lock.versions.map((v) =>
      v.version === p.version
        ? {
            ...setStatus(v, 'rejected', p.at, `gates failed: ${p.decision.failures.join('; ')}`, p.prov),
            gates,
          }
        : v,
    );
    return { model: { ...p.lock, versions }, outcome: 'rejected' };
  }
  const staged = p.strategy !== 'direct' && champion != null && champion.version !== p.version;
  if (staged) {
    const versions = p.lock.versions.map((v) =>
      v.version === p.version
        ? {
            ...setStatus(
              v,
              'challenger',
              p.at,
              `gates passed (${summary}); ${p.strategy} rollout started`,
              p.prov,
            ),
            gates,
          }
        : v,
    );
    const w = Math.min(1, Math.max(0, p.weight));
    const rollout: RolloutLock = {
      kind: 'RolloutLock',
      lockVersion: LOCK_VERSION,
      model: p.lock.name,
      strategy: p.strategy,
      status: 'progressing',
      step: 0,
      versions: [
        { version: champion.version, weight: round6(1 - w) },
        { version: p.version, weight: round6(w) },
      ].sort((a, b) => a.version - b.version),
      analysis: [],
      startedAt: p.at,
      updatedAt: p.at,
      reason: `v${p.version} passed its gates; ${Math.round(w * 100)}% of traffic`,
      ...(p.policyDigest ? { policyDigest: p.policyDigest } : {}),
      ...p.prov,
    };
    return { model: { ...p.lock, versions }, rollout, outcome: 'challenger' };
  }
  const versions = p.lock.versions.map((v) => {
    if (v.version === p.version)
      return { ...setStatus(v, 'champion', p.at, `gates passed: ${summary}`, p.prov), gates };
    if (v.status === 'champion' || v.status === 'challenger')
      return setStatus(v, 'retired', p.at, `replaced by v${p.version}`, p.prov);
    return v;
  });
  const rollout: RolloutLock = {
    kind: 'RolloutLock',
    lockVersion: LOCK_VERSION,
    model: p.lock.name,
    strategy: 'direct',
    status: 'promoted',
    step: 0,
    versions: [{ version: p.version, weight: 1 }],
    analysis: [],
    startedAt: p.at,
    updatedAt: p.at,
    reason: `v${p.version} promoted`,
    ...(p.policyDigest ? { policyDigest: p.policyDigest } : {}),
    ...p.prov,
  };
  return { model: { ...p.lock, versions }, rollout, outcome: 'champion' };
}

function round6(x: number): number {
  return Math.round(x * 1e6) / 1e6;
}
