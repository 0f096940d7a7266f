// The one place defaults are applied: PolicyDoc (as written, schema-valid) → normalized Policy.
// Digests are computed later over these shapes, so a default spelled out or omitted is the same.
import type {
  CommandTrainer,
  DataPolicyDoc,
  FeatureViewDoc,
  ModelDoc,
  ProjectDoc,
  RetrainPolicyDoc,
  RolloutPolicyDoc,
  Source,
  TfjsTrainer,
} from '../schema/types.generated.ts';
import { defaultMetrics, parseDuration, parsePercentage } from '../schema/vocabulary.ts';
import type {
  ArtifactsSpec,
  Backend,
  DataPolicy,
  Detector,
  FeatureView,
  Model,
  Origin,
  Project,
  RetrainPolicy,
  RolloutPolicy,
  SourceSpec,
  TrainerSpec,
  Trigger,
} from './desired-state.ts';

export const DEFAULT_SEED = 42;

// Schema validation ran first, so these parses cannot fail; the fallbacks only satisfy types.
const dur = (s: string | undefined, dflt: string): number => parseDuration(s ?? dflt) ?? parseDuration(dflt)!;
const pct = (v: number | string | undefined, dflt: number): number =>
  v == null ? dflt : (parsePercentage(v) ?? dflt);

export function normalizeProject(doc: ProjectDoc | undefined, origin?: Origin): Project {
  const s = doc?.spec ?? {};
  return {
    name: doc?.metadata.name ?? 'rudder',
    origin,
    policiesDir: stripSlash(s.policies ?? 'policies'),
    stateDir: stripSlash(s.state ?? 'state'),
    store: { type: 'duckdb', path: s.store?.path ?? '.rudder/store.duckdb' },
    artifacts: normalizeArtifacts(s.artifacts),
    git: {
      commit: s.git?.commit ?? true,
      push: s.git?.push ?? false,
      remote: s.git?.remote ?? 'origin',
      branch: s.git?.branch,
      author: s.git?.author,
      pullRequest: {
        enabled: s.git?.pullRequest?.enabled ?? false,
        base: s.git?.pullRequest?.base,
        repository: s.git?.pullRequest?.repository,
      },
    },
    trainer: {
      backend: s.trainer?.backend ?? 'auto',
      timeoutMs: dur(s.trainer?.timeout, '1h'),
      concurrency: s.trainer?.concurrency ?? 1,
    },
  };
}

export function normalizeArtifacts(a: NonNullable<ProjectDoc['spec']>['artifacts']): ArtifactsSpec {
  if (a?.type !== 's3') return { type: 'local', path: stripSlash(a?.path ?? '.rudder/artifacts') };
  return {
    type: 's3',
    bucket: a.bucket ?? '',
    prefix: (a.prefix ?? '').replace(/^\/+|\/+$/g, ''),
    endpoint: a.endpoint?.replace(/\/+$/, ''),
    region: a.region,
    forcePathStyle: a.forcePathStyle ?? a.endpoint != null,
    cache: stripSlash(a.cache ?? '.rudder/cache/artifacts'),
  };
}

export function normalizeSource(s: Source): SourceSpec {
  const lower = s.path.toLowerCase();
  const format = s.format ?? (lower.endsWith('.parquet') || lower.endsWith('.pq') ? 'parquet' : 'csv');
  return { path: normalizeRelPath(s.path) ?? s.path, format, timestamp: s.timestamp };
}

type Pending<T> = Omit<T, 'digest'> & { digest: '' };

export function normalizeFeatureView(doc: FeatureViewDoc, origin: Origin): Pending<FeatureView> {
  const s = doc.spec;
  return {
    kind: 'FeatureView',
    name: doc.metadata.name,
    owner: doc.metadata.owner,
    origin,
    digest: '',
    source: normalizeSource(s.source),
    entities: [...s.entities],
    ttlMs: dur(s.ttl, '30d'),
    freshness: { maxAgeMs: dur(s.freshness?.maxAge, '24h'), refresh: s.freshness?.refresh ?? 'auto' },
    features: s.features.map((f) => ({
      name: f.name,
      type: f.type,
      column: f.column ?? f.name,
      pii: f.pii ?? false,
    })),
  };
}

/** Features are resolved against views by a rule; until then the list is empty. */
export function normalizeModel(doc: ModelDoc, origin: Origin, projectBackend: Backend): Pending<Model> {
  const s = doc.spec;
  const metrics = s.metrics ? [...s.metrics] : defaultMetrics[s.task];
  return {
    kind: 'Model',
    name: doc.metadata.name,
    owner: doc.metadata.owner,
    origin,
    digest: '',
    task: s.task,
    label: {
      source: normalizeSource(s.label.source),
      entities: [...s.label.entities],
      column: s.label.column,
      classes: s.label.classes ? [...s.label.classes] : undefined,
    },
    features: [],
    views: [],
    trainer: normalizeTrainer(s.trainer, projectBackend),
    dataChecks: {
      maxNullShare: pct(s.dataChecks?.maxNullShare, 0.9),
      minCoverage: pct(s.dataChecks?.minCoverage, 0.5),
      minRows: s.dataChecks?.minRows ?? 20,
    },
    split: {
      method: s.split?.method ?? 'time',
      holdout: pct(s.split?.holdout, 0.2),
      validation: pct(s.split?.validation, 0.1),
    },
    metrics,
    primaryMetric: metrics[0]!,
  };
}

function normalizeTrainer(t: TfjsTrainer | CommandTrainer, projectBackend: Backend): TrainerSpec {
  if (t.type === 'command') {
    return {
      type: 'command',
      command: [...t.command],
      workdir: t.workdir ?? '.',
      timeoutMs: dur(t.timeout, '1h'),
      env: { ...(t.env as Record<string, string> | undefined) },
      fromEnv: [...(t.fromEnv ?? [])].sort(),
      params: { ...(t.params ?? {}) },
      seed: t.seed ?? DEFAULT_SEED,
    };
  }
  const arch = t.architecture ?? { type: 'mlp' as const };
  return {
    type: 'tfjs',
    architecture: {
      type: arch.type,
      hidden: arch.type === 'linear' ? [] : [...(arch.hidden ?? [64, 32])],
      activation: arch.activation ?? 'relu',
      dropout: arch.dropout ?? 0,
      batchNorm: arch.batchNorm ?? false,
    },
    epochs: t.epochs ?? 20,
    batchSize: t.batchSize === 'auto' ? 'auto' : ((t.batchSize as number | undefined) ?? 256),
    learningRate: t.learningRate ?? 0.001,
    optimizer: t.optimizer ?? 'adam',
    schedule: t.schedule ? { ...t.schedule } : { type: 'constant' },
    earlyStopping: t.earlyStopping
      ? {
          metric: t.earlyStopping.metric ?? 'logloss',
          patience: t.earlyStopping.patience ?? 3,
          minEpochs: t.earlyStopping.minEpochs ?? Math.min(5, t.epochs ?? 20),
          minValidationRows: t.earlyStopping.minValidationRows ?? 100,
        }
      : undefined,
    accumulate: t.accumulate ?? 1,
    classWeights: t.classWeights as TrainerSpecClassWeights,
    categorical: t.categorical ?? 'onehot',
    backend: t.backend ?? projectBackend,
    seed: t.seed ?? DEFAULT_SEED,
  };
}
type TrainerSpecClassWeights = 'balanced' | Record<string, number> | undefined;

export function normalizeRetrainPolicy(doc: RetrainPolicyDoc, origin: Origin): Pending<RetrainPolicy> {
  const s = doc.spec;
  const triggers: Trigger[] = (s.triggers ?? []).map((t): Trigger => {
    if (t.drift)
      return {
        type: 'drift',
        method: t.drift.method ?? 'auto',
        threshold: t.drift.threshold,
        ...(t.drift.thresholds ? { thresholds: { ...t.drift.thresholds } } : {}),
        share: pct(t.drift.share, 0.5),
        windowMs: dur(t.drift.window, '7d'),
        minSamples: t.drift.minSamples ?? 200,
        features: [...(t.drift.features ?? [])].sort(),
      };
    if (t.performance)
      return {
        type: 'performance',
        metric: t.performance.metric,
        min: t.performance.min,
        dropBy: t.performance.dropBy,
        windowMs: dur(t.performance.window, '14d'),
        minLabels: t.performance.minLabels ?? 100,
      };
    if (t.schedule) return { type: 'schedule', everyMs: dur(t.schedule.every, '30d') };
    if (t.featureChange) return { type: 'featureChange', views: [...(t.featureChange.views ?? [])].sort() };
    const v = t.dataVolume!;
    return {
      type: 'dataVolume',
      newRows: v.newRows,
      growth: v.growth == null ? undefined : pct(v.growth, 0),
    };
  });
  return {
    kind: 'RetrainPolicy',
    name: doc.metadata.name,
    owner: doc.metadata.owner,
    origin,
    digest: '',
    model: s.model,
    // Trigger order carries no meaning; sort so reordering the YAML keeps the digest.
    triggers: triggers.sort((a, b) => (a.type < b.type ? -1 : a.type > b.type ? 1 : 0)),
    cooldownMs: dur(s.cooldown, '0s'),
    gates: (s.gates ?? []).map((g) => ({ ...g })),
    approval: s.approval ?? 'auto',
  };
}

export function normalizeRolloutPolicy(doc: RolloutPolicyDoc, origin: Origin): Pending<RolloutPolicy> {
  const s = doc.spec;
  const st = s.strategy;
  let strategy: RolloutPolicy['strategy'];
  if (st.type === 'canary')
    strategy = {
      type: 'canary',
      steps: st.steps.map((x) => ({ weight: pct(x.weight, 0), holdMs: dur(x.hold, '1h') })),
    };
  else if (st.type === 'abTest')
    strategy = {
      type: 'abTest',
      split: pct(st.split, 0.5),
      metric: st.metric,
      minSamplesPerArm: st.minSamplesPerArm ?? 1000,
      significance: {
        method: st.significance?.method ?? 'msprt',
        alpha: st.significance?.alpha ?? 0.05,
        tuning: st.significance?.tuning ?? 5000,
      },
      maxDurationMs: dur(st.maxDuration, '14d'),
    };
  else strategy = { type: 'direct' };
  return {
    kind: 'RolloutPolicy',
    name: doc.metadata.name,
    owner: doc.metadata.owner,
    origin,
    digest: '',
    model: s.model,
    strategy,
    analysis: {
      intervalMs: dur(s.analysis?.interval, '5m'),
      minSamples: s.analysis?.minSamples ?? 100,
      failureLimit: s.analysis?.failureLimit ?? 0,
      metrics: (s.analysis?.metrics ?? []).map((m) => ({ ...m })),
    },
    rollback: { automatic: s.rollback?.automatic ?? true, hold: s.rollback?.hold ?? true },
  };
}

export function normalizeDataPolicy(doc: DataPolicyDoc, origin: Origin): Pending<DataPolicy> {
  const s = doc.spec;
  const sample: DataPolicy['sample'] =
    s.sample?.rows != null
      ? { type: 'rows', rows: s.sample.rows }
      : s.sample?.fraction != null
        ? { type: 'fraction', fraction: pct(s.sample.fraction, 1) }
        : { type: 'all' };
  return {
    kind: 'DataPolicy',
    name: doc.metadata.name,
    owner: doc.metadata.owner,
    origin,
    digest: '',
    views: [...s.scope.views],
    scanLabels: s.scope.labels ?? false,
    detectors: [...(s.detectors as Detector[])].sort(),
    sample,
    action: s.action,
    allow: (s.allow ?? []).map((a) => ({
      view: a.view,
      column: a.column,
      detector: a.detector,
      training: a.training ?? false,
      reason: a.reason,
    })),
  };
}

/**
 * POSIX-normalize a repository-relative path. Undefined when it is absolute or climbs out of
 * the repository: such paths are rejected, whatever the file system says.
 */
export function normalizeRelPath(p: string): string | undefined {
  if (p.startsWith('/') || p.startsWith('\\') || /^[A-Za-z]:/.test(p) || p.includes('\0')) return undefined;
  const out: string[] = [];
  for (const seg of p.replace(/\\/g, '/').split('/')) {
    if (seg === '' || seg === '.') continue;
    if (seg === '..') {
      if (out.length === 0) return undefined;
      out.pop();
    } else out.push(seg);
  }
  return out.length === 0 ? '.' : out.join('/');
}

function stripSlash(p: string): string {
  return normalizeRelPath(p) ?? p;
}
