import {
  fail,
  hasErrors,
  ok,
  quote,
  sortDiagnostics,
  type Diagnostic,
  type Result,
} from '../diagnostics/diagnostic.ts';
import type { PolicyKind } from '../schema/schemas.ts';
import type {
  DataPolicyDoc,
  FeatureViewDoc,
  ModelDoc,
  ProjectDoc,
  RetrainPolicyDoc,
  RolloutPolicyDoc,
} from '../schema/types.generated.ts';
import { validateDoc } from '../schema/validate-doc.ts';
import type { SourceDoc } from '../source/source-doc.ts';
import { digestOf, sha256Hex, type HashHex } from '../util/canonical.ts';
import { makeReporter, originKey, type CompileContext, type Pending, type Rule } from './context.ts';
import type {
  DataPolicy,
  DesiredState,
  FeatureView,
  Model,
  Origin,
  Project,
  Resource,
  RetrainPolicy,
  RolloutPolicy,
} from './desired-state.ts';
import {
  normalizeDataPolicy,
  normalizeFeatureView,
  normalizeModel,
  normalizeProject,
  normalizeRetrainPolicy,
  normalizeRolloutPolicy,
} from './normalize.ts';
import { dataPolicyReferencesExist, sourcePathsStayInside } from './rules/data-policies.ts';
import { resolveModelFeatures } from './rules/model-features.ts';
import { modelMetricsFitTask } from './rules/model-metrics.ts';
import {
  policyTargetsExist,
  retrainPolicyIsCoherent,
  rolloutPolicyIsCoherent,
} from './rules/policy-targets.ts';

/** Run in order: later rules read what `resolveModelFeatures` filled in. */
export const rules: Rule[] = [
  resolveModelFeatures,
  modelMetricsFitTask,
  policyTargetsExist,
  retrainPolicyIsCoherent,
  rolloutPolicyIsCoherent,
  dataPolicyReferencesExist,
  sourcePathsStayInside,
];

export interface CompileInput {
  /** Documents of rudder.yaml (at most one Project). */
  projectDocs: readonly SourceDoc[];
  /** Documents under the policy folder, in any order. */
  docs: readonly SourceDoc[];
}

/**
 * Validate and compile policy documents into a DesiredState, or report every problem at once.
 * Pure, and independent of the order of documents and files.
 */
export interface CompileOptions {
  /** SHA-256 as lowercase hex. Default: pure JS; callers with node:crypto pass a faster one. */
  hash?: HashHex;
}

export function compilePolicies(input: CompileInput, opts: CompileOptions = {}): Result<DesiredState> {
  const hash = opts.hash ?? sha256Hex;
  const diags: Diagnostic[] = [];
  const { sources, valid, broken } = validateDocuments(input, diags);
  const report = makeReporter(sources, diags);
  const projectFiles = new Set(input.projectDocs.map((d) => d.file));
  const projectDoc = findProject(valid, projectFiles, report);
  const project: Project = normalizeProject(projectDoc?.doc, projectDoc?.origin);
  const r = normalizeResources(valid, projectFiles, project, report);

  const ctx: CompileContext = {
    project,
    views: r.views,
    models: r.models,
    featureRefs: r.featureRefs,
    triggerOrder: r.triggerOrder,
    retrainPolicies: sortByName([...r.retrain.values()]),
    rolloutPolicies: sortByName([...r.rollout.values()]),
    dataPolicies: sortByName([...r.data.values()]),
    report,
    broken,
  };
  for (const rule of rules) rule(ctx);

  const sorted = sortDiagnostics(diags);
  if (hasErrors(sorted)) return fail(sorted);
  return ok(digestState(ctx, hash), sorted);
}

type Valid = { kind: PolicyKind; src: SourceDoc }[];

const originOf = (src: SourceDoc): Origin => ({ file: src.file, doc: src.index });

/**
 * Schema-check every document in file order. `broken` names the documents that failed but say
 * what they are, so that references to them are not reported again.
 */
function validateDocuments(
  input: CompileInput,
  diags: Diagnostic[],
): { sources: Map<string, SourceDoc>; valid: Valid; broken: Set<string> } {
  const sources = new Map<string, SourceDoc>();
  const byOrigin = (a: SourceDoc, b: SourceDoc) =>
    a.file < b.file ? -1 : a.file > b.file ? 1 : a.index - b.index;
  const valid: Valid = [];
  const broken = new Set<string>();
  for (const src of [...input.projectDocs, ...input.docs].sort(byOrigin)) {
    sources.set(originKey({ file: src.file, doc: src.index }), src);
    const r = validateDoc(src.value, { file: src.file, doc: src.index, locate: src.locate });
    diags.push(...r.diagnostics);
    if (r.kind) valid.push({ kind: r.kind, src });
    else {
      const v = src.value as { kind?: unknown; metadata?: { name?: unknown } } | null;
      if (v && typeof v === 'object' && typeof v.kind === 'string' && typeof v.metadata?.name === 'string')
        broken.add(`${v.kind}/${v.metadata.name}`);
    }
  }
  return { sources, valid, broken };
}

/** Project: only in rudder.yaml, only once. */
function findProject(
  valid: Valid,
  projectFiles: ReadonlySet<string>,
  report: CompileContext['report'],
): { doc: ProjectDoc; origin: Origin } | undefined {
  let projectDoc: { doc: ProjectDoc; origin: Origin } | undefined;
  for (const { kind, src } of valid) {
    const inProjectFile = projectFiles.has(src.file);
    if (kind === 'Project' && !inProjectFile) {
      report({
        code: 'project/misplaced',
        origin: originOf(src),
        path: ['kind'],
        message: `a Project document belongs in rudder.yaml at the repository root, not in ${src.file}`,
        hint: 'Move it to rudder.yaml.',
      });
    } else if (kind !== 'Project' && inProjectFile) {
      report({
        code: 'project/misplaced',
        origin: originOf(src),
        path: ['kind'],
        message: `rudder.yaml holds only the Project; found a ${kind}`,
        hint: 'Move policies into the policy folder.',
      });
    } else if (kind === 'Project') {
      if (projectDoc)
        report({
          code: 'project/duplicate',
          origin: originOf(src),
          path: [],
          message: 'rudder.yaml holds more than one Project document',
          hint: 'Keep one.',
        });
      else projectDoc = { doc: src.value as ProjectDoc, origin: originOf(src) };
    }
  }
  return projectDoc;
}

interface Normalized {
  views: Map<string, Pending<FeatureView>>;
  models: Map<string, Pending<Model>>;
  featureRefs: Map<string, string[]>;
  triggerOrder: Map<string, string[]>;
  retrain: Map<string, Pending<RetrainPolicy>>;
  rollout: Map<string, Pending<RolloutPolicy>>;
  data: Map<string, Pending<DataPolicy>>;
}

/** Each policy normalized by kind and name; a second definition of a name is reported and dropped. */
function normalizeResources(
  valid: Valid,
  projectFiles: ReadonlySet<string>,
  project: Project,
  report: CompileContext['report'],
): Normalized {
  const n: Normalized = {
    views: new Map(),
    models: new Map(),
    featureRefs: new Map(),
    triggerOrder: new Map(),
    retrain: new Map(),
    rollout: new Map(),
    data: new Map(),
  };
  const firstSeen = new Map<string, Origin>();
  for (const { kind, src } of valid) {
    if (kind === 'Project' || projectFiles.has(src.file)) continue;
    const o = originOf(src);
    const name = (src.value as { metadata: { name: string } }).metadata.name;
    const key = `${kind}/${name}`;
    const first = firstSeen.get(key);
    if (first) {
      report({
        code: 'resource/duplicate-name',
        origin: o,
        path: ['metadata', 'name'],
        message: `${kind} ${quote(name)} is defined twice (first in ${first.file}, document ${first.doc + 1})`,
        hint: `Rename one: names are unique within a kind.`,
      });
      continue;
    }
    firstSeen.set(key, o);
    switch (kind) {
      case 'FeatureView':
        n.views.set(name, normalizeFeatureView(src.value as FeatureViewDoc, o));
        break;
      case 'Model': {
        const doc = src.value as ModelDoc;
        n.models.set(name, normalizeModel(doc, o, project.trainer.backend));
        n.featureRefs.set(name, [...doc.spec.features]);
        break;
      }
      case 'RetrainPolicy': {
        const doc = src.value as RetrainPolicyDoc;
        n.retrain.set(name, normalizeRetrainPolicy(doc, o));
        n.triggerOrder.set(
          name,
          (doc.spec.triggers ?? []).map((t) => Object.keys(t)[0]!),
        );
        break;
      }
      case 'RolloutPolicy':
        n.rollout.set(name, normalizeRolloutPolicy(src.value as RolloutPolicyDoc, o));
        break;
      case 'DataPolicy':
        n.data.set(name, normalizeDataPolicy(src.value as DataPolicyDoc, o));
        break;
    }
  }
  return n;
}

/** The compiled state with each resource's digest and the digest over them all. */
function digestState(ctx: CompileContext, hash: HashHex): DesiredState {
  const withDigest = <T extends Pending<Resource>>(r: T): T => ({
    ...r,
    digest: digestOf(resourceMeaning(r), hash),
  });
  const { project } = ctx;
  const featureViews = sortByName([...ctx.views.values()]).map(withDigest);
  const state: Omit<DesiredState, 'digest'> = {
    project,
    featureViews,
    models: sortByName([...ctx.models.values()]).map(withDigest),
    retrainPolicies: ctx.retrainPolicies.map(withDigest),
    rolloutPolicies: ctx.rolloutPolicies.map(withDigest),
    dataPolicies: ctx.dataPolicies.map(withDigest),
  };
  const { origin: _o, ...projectMeaning } = project;
  const digest = digestOf(
    {
      project: projectMeaning,
      resources: [
        ...state.featureViews,
        ...state.models,
        ...state.retrainPolicies,
        ...state.rolloutPolicies,
        ...state.dataPolicies,
      ].map((r) => `${r.kind}/${r.name}@${r.digest}`),
    },
    hash,
  );
  return { ...state, digest };
}

function sortByName<T extends { name: string }>(xs: T[]): T[] {
  return xs.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/**
 * The digest covers what the resource means: not where it was written, who owns it, or its
 * description. A model's features count by reference; their types belong to the view's digest.
 */
export function resourceMeaning(r: Pending<Resource>): unknown {
  if (r.kind === 'Model') {
    const { digest: _d, origin: _o, owner: _w, features, ...rest } = r as Pending<Model>;
    return { ...rest, features: features.map((f) => f.ref) };
  }
  const { digest: _d, origin: _o, owner: _w, ...meaning } = r;
  return meaning;
}
