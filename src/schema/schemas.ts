import common from './common.schema.json' with { type: 'json' };
import dataPolicy from './data-policy.schema.json' with { type: 'json' };
import featureView from './feature-view.schema.json' with { type: 'json' };
import model from './model.schema.json' with { type: 'json' };
import project from './project.schema.json' with { type: 'json' };
import retrainPolicy from './retrain-policy.schema.json' with { type: 'json' };
import rolloutPolicy from './rollout-policy.schema.json' with { type: 'json' };

export const API_VERSION = 'rudder.dev/v1alpha1';

export const policyKinds = [
  'Project',
  'FeatureView',
  'Model',
  'RetrainPolicy',
  'RolloutPolicy',
  'DataPolicy',
] as const;
export type PolicyKind = (typeof policyKinds)[number];

export const commonSchema: Record<string, unknown> = common;

/** One JSON Schema (draft 2020-12) per kind; they reference common.json for shared definitions. */
export const kindSchemas: Record<PolicyKind, Record<string, unknown>> = {
  Project: project,
  FeatureView: featureView,
  Model: model,
  RetrainPolicy: retrainPolicy,
  RolloutPolicy: rolloutPolicy,
  DataPolicy: dataPolicy,
};

export function isPolicyKind(k: unknown): k is PolicyKind {
  return typeof k === 'string' && (policyKinds as readonly string[]).includes(k);
}

/**
 * A self-contained schema for editors (yaml-language-server): the kind's schema with the shared
 * definitions inlined under $defs, so it needs no other file.
 */
export function bundleSchema(kind: PolicyKind): Record<string, unknown> {
  const own = structuredClone(kindSchemas[kind]);
  const defs = { ...(structuredClone(common.$defs) as Record<string, unknown>) };
  const ownDefs = (own.$defs ?? {}) as Record<string, unknown>;
  for (const [k, v] of Object.entries(ownDefs)) defs[k] = v;
  own.$defs = defs;
  own.$id = `https://rudder.dev/schemas/v1alpha1/${kind}.bundle.json`;
  return rewriteRefs(own) as Record<string, unknown>;
}

function rewriteRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(rewriteRefs);
  if (v && typeof v === 'object') {
    const o: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      o[k] = k === '$ref' && typeof x === 'string' ? x.replace(/^common\.json#/, '#') : rewriteRefs(x);
    }
    return o;
  }
  return v;
}

/** One schema accepting any kind, dispatching on `kind`: what `rudder schema` prints by default. */
export function bundleAll(): Record<string, unknown> {
  const defs: Record<string, unknown> = {};
  const branches: unknown[] = [];
  for (const kind of policyKinds) {
    const b = bundleSchema(kind);
    Object.assign(defs, b.$defs as Record<string, unknown>);
    const { $defs: _d, $id: _i, $schema: _s, ...body } = b;
    defs[kind] = body;
    branches.push({
      if: { properties: { kind: { const: kind } }, required: ['kind'] },
      then: { $ref: `#/$defs/${kind}` },
    });
  }
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://rudder.dev/schemas/v1alpha1/policy.json',
    title: 'Rudder policy document',
    type: 'object',
    required: ['apiVersion', 'kind'],
    properties: { apiVersion: { const: API_VERSION }, kind: { enum: [...policyKinds] } },
    allOf: branches,
    $defs: defs,
  };
}
