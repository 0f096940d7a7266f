// Dev-time only (scripts/ and the sync test import it): turns the JSON Schemas into TypeScript.
// Every wire format has one definition, its JSON Schema; the TypeScript types (and the few const
// lists the code iterates over) are generated from it, so they cannot drift from what ajv enforces.
import { compile, type Options } from 'json-schema-to-typescript';
import lockSchema from './lock.schema.json' with { type: 'json' };
import planSchema from './plan.schema.json' with { type: 'json' };
import servingSchema from './serving.schema.json' with { type: 'json' };
import { bundleSchema, policyKinds } from './schemas.ts';

export async function renderSchemaTypes(): Promise<string> {
  // One root schema holding every kind, so shared definitions are declared exactly once.
  const defs: Record<string, unknown> = {};
  const properties: Record<string, unknown> = {};
  for (const kind of policyKinds) {
    const b = bundleSchema(kind);
    const { $defs, $id: _i, $schema: _s, ...body } = b;
    Object.assign(defs, $defs as Record<string, unknown>);
    defs[kind] = { ...body, title: `${kind}Doc` };
    properties[kind] = { $ref: `#/$defs/${kind}` };
  }
  const root = { title: 'PolicyDocs', type: 'object', additionalProperties: false, properties, $defs: defs };
  const ts = await compile(root as never, 'PolicyDocs', {
    bannerComment: [
      '/* eslint-disable */',
      '// Generated from src/schema/*.schema.json by `npm run schema:types`. Do not edit.',
      '// These are the documents as written (PolicyDoc); the compiler normalizes them into Policy types.',
    ].join('\n'),
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: true,
    unreachableDefinitions: true,
    format: true,
  });
  return ts.endsWith('\n') ? ts : `${ts}\n`;
}

type Schema = { $defs: Record<string, Record<string, unknown>> } & Record<string, unknown>;

/** A `const` list generated from an enum of the schema: `export const name = [...] as const;`. */
interface ConstList {
  name: string;
  doc: string;
  values: readonly unknown[];
}

/**
 * The types of one wire-format schema: every titled definition becomes an exported type (the
 * roots are the definitions named in `roots`), then the const lists derived from its enums.
 */
async function renderWireTypes(opts: {
  schema: Schema;
  source: string;
  roots: readonly string[];
  banner: readonly string[];
  consts: readonly ConstList[];
  options?: Partial<Options>;
}): Promise<string> {
  const $defs = unmergeRefs(structuredClone(opts.schema.$defs)) as Schema['$defs'];
  const properties = Object.fromEntries(opts.roots.map((r) => [r, { $ref: `#/$defs/${r}` }]));
  const name = `${opts.source.replace(/^.*\/|\.schema\.json$/g, '')}-documents`;
  const root = { title: name, type: 'object', additionalProperties: false, properties, $defs };
  let ts = await compile(root as never, name, {
    bannerComment: [
      `// Generated from ${opts.source} by \`npm run schema:types\`. Do not edit: change the schema and regenerate.`,
      ...opts.banner,
    ].join('\n'),
    additionalProperties: false,
    ignoreMinAndMaxItems: true,
    strictIndexSignatures: false,
    unreachableDefinitions: true,
    format: true,
    ...opts.options,
  });
  // The synthetic root only gathers the definitions; nothing uses it. Nor the generator's
  // "referenced by" notes: the definition's name is the type's name.
  ts = ts
    .replace(/\nexport interface [A-Za-z]+Documents \{[^}]*\}\n/, '\n')
    .replace(/( \*\n)? \* This interface was referenced by [^\n]*\n \* via the `definition` "[^"]*"\.\n/g, '')
    .replace(/\/\*\*\n \*\/\n/g, '');
  for (const c of opts.consts)
    ts += `\n/** ${c.doc} */\nexport const ${c.name} = [${c.values.map((x) => JSON.stringify(x)).join(', ')}] as const;\n`;
  return ts.endsWith('\n') ? ts : `${ts}\n`;
}

/**
 * `{ "$ref": "#/$defs/Digest", "description": "…" }` is valid 2020-12, but json-schema-to-typescript
 * merges the two into a new schema and declares a copy of the type (`Digest1`, `Digest2`, …). For
 * the generator only, the reference is wrapped: `{ "description": "…", "allOf": [{ "$ref": … }] }`
 * types the property as `Digest` and keeps the description as its JSDoc.
 */
function unmergeRefs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(unmergeRefs);
  if (v == null || typeof v !== 'object') return v;
  const o = Object.fromEntries(Object.entries(v).map(([k, x]) => [k, unmergeRefs(x)]));
  const { $ref, ...rest } = o;
  return typeof $ref === 'string' && Object.keys(rest).length > 0 ? { ...rest, allOf: [{ $ref }] } : o;
}

const enumOf = (schema: Schema, def: string): readonly unknown[] => {
  const d = schema.$defs[def];
  const values = d?.enum ?? (d && 'const' in d ? [d.const] : undefined);
  if (!Array.isArray(values)) throw new Error(`${def} in the schema has no enum or const`);
  return values;
};

/** src/state/lock-types.generated.ts: the lockfile documents, from src/schema/lock.schema.json. */
export function renderLockTypes(): Promise<string> {
  const schema = lockSchema as unknown as Schema;
  return renderWireTypes({
    schema,
    source: 'src/schema/lock.schema.json',
    roots: ['ModelLock', 'FeatureLock', 'RolloutLock', 'DataLock'],
    banner: ['// The lockfile documents; src/state/types.ts re-exports them.'],
    consts: [
      {
        name: 'LOCK_VERSION',
        doc: 'The lockfile format this Rudder writes. Older files migrate (migrations.ts); newer ones are refused.',
        values: enumOf(schema, 'LockVersion'),
      },
      {
        name: 'versionStatuses',
        doc: 'Every VersionStatus, in schema order.',
        values: enumOf(schema, 'VersionStatus'),
      },
      {
        name: 'rolloutStatuses',
        doc: 'Every RolloutStatus, in schema order.',
        values: enumOf(schema, 'RolloutStatus'),
      },
    ],
  }).then((ts) =>
    // LOCK_VERSION is a single number, not a list.
    ts.replace(/export const LOCK_VERSION = \[(\d+)\] as const;/, 'export const LOCK_VERSION = $1;'),
  );
}

/** src/planner/plan-types.generated.ts: the plan file, from src/schema/plan.schema.json. */
export function renderPlanTypes(): Promise<string> {
  const schema = planSchema as unknown as Schema;
  // The rollout evidence is generated on its own (renderEvidenceTypes) and imported: the plan
  // holds the observations, which hold the rollout analysis, which produces the evidence.
  const $defs = { ...schema.$defs };
  for (const name of EVIDENCE) $defs[name] = { tsType: `Evidence.${name}` };
  return renderWireTypes({
    schema: { ...schema, $defs },
    source: 'src/schema/plan.schema.json',
    roots: ['Plan'],
    banner: [
      '// The plan file (`rudder plan --out`); src/planner/plan-types.ts re-exports them and derives the per-type maps.',
      "import type { Observations } from '../observe/observations.ts';",
      "import type * as Evidence from '../rollout/evidence-types.generated.ts';",
    ],
    consts: [
      {
        name: 'PLAN_FORMAT_VERSION',
        doc: 'The plan file format; apply refuses other versions.',
        values: enumOf(schema, 'FormatVersion'),
      },
      {
        name: 'actionTypes',
        doc: 'Every action type, in schema order.',
        values: enumOf(schema, 'ActionType'),
      },
    ],
  }).then((ts) =>
    ts.replace(
      /export const PLAN_FORMAT_VERSION = \[(\d+)\] as const;/,
      'export const PLAN_FORMAT_VERSION = $1;',
    ),
  );
}

/** The definitions of the plan schema that rollout analysis produces (and the plan records). */
const EVIDENCE = ['ObservedResult', 'PairedEvidence'] as const;

/** `names` and every definition they reference, transitively. */
function closure(defs: Schema['$defs'], names: readonly string[]): Schema['$defs'] {
  const out: Schema['$defs'] = {};
  const visit = (name: string): void => {
    if (out[name] || !defs[name]) return;
    out[name] = defs[name];
    for (const m of JSON.stringify(defs[name]).matchAll(/"#\/\$defs\/([A-Za-z0-9_]+)"/g)) visit(m[1]!);
  };
  names.forEach(visit);
  return out;
}

/** src/rollout/evidence-types.generated.ts: the rollout evidence, from src/schema/plan.schema.json. */
export function renderEvidenceTypes(): Promise<string> {
  const schema = planSchema as unknown as Schema;
  return renderWireTypes({
    schema: { $defs: closure(schema.$defs, EVIDENCE) },
    source: 'src/schema/plan.schema.json',
    roots: [...EVIDENCE],
    banner: [
      '// The evidence a rollout analysis records (src/rollout/); the plan types import it from here.',
    ],
    consts: [],
  });
}

/** src/serving/wire-types.generated.ts: `rudder serve`'s requests and responses, from src/schema/serving.schema.json. */
export function renderServingTypes(): Promise<string> {
  return renderWireTypes({
    schema: servingSchema,
    source: 'src/schema/serving.schema.json',
    roots: [],
    banner: [
      '// The V1 predict, OIP v2 and labels wire formats; the routes in src/serving/routes/ use them.',
    ],
    consts: [],
  });
}

/** Every generated file, repository-relative, with its renderer: what `npm run schema:types` writes. */
export const generatedTypeFiles: readonly { path: string; render: () => Promise<string> }[] = [
  { path: 'src/schema/types.generated.ts', render: renderSchemaTypes },
  { path: 'src/state/lock-types.generated.ts', render: renderLockTypes },
  { path: 'src/planner/plan-types.generated.ts', render: renderPlanTypes },
  { path: 'src/rollout/evidence-types.generated.ts', render: renderEvidenceTypes },
  { path: 'src/serving/wire-types.generated.ts', render: renderServingTypes },
];
