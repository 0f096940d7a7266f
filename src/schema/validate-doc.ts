import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { Diagnostic, JsonPath } from '../diagnostics/diagnostic.ts';
import { quote } from '../diagnostics/diagnostic.ts';
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import { didYouMean, suggestion } from '../util/did-you-mean.ts';
import {
  API_VERSION,
  commonSchema,
  isPolicyKind,
  kindSchemas,
  policyKinds,
  type PolicyKind,
} from './schemas.ts';
import {
  analysisMetricNames,
  CUSTOM_METRIC,
  modelMetrics,
  parseDuration,
  parsePercentage,
} from './vocabulary.ts';

const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (
  a: Ajv2020,
  formats: string[],
) => Ajv2020;

let validators: Map<PolicyKind, ValidateFunction> | undefined;

function getValidators(): Map<PolicyKind, ValidateFunction> {
  if (validators) return validators;
  const ajv = new Ajv2020({
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    discriminator: true,
    verbose: true,
  });
  addFormats(ajv, ['email']);
  ajv.addFormat('rudder-duration', {
    type: 'string',
    validate: (s: string) => parseDuration(s) !== undefined,
  });
  ajv.addFormat('rudder-percentage', {
    type: 'string',
    validate: (s: string) => parsePercentage(s) !== undefined,
  });
  ajv.addFormat('rudder-metric', {
    type: 'string',
    validate: (s: string) => (modelMetrics as readonly string[]).includes(s),
  });
  ajv.addFormat('rudder-analysis-metric', {
    type: 'string',
    validate: (s: string) => (analysisMetricNames as readonly string[]).includes(s) || CUSTOM_METRIC.test(s),
  });
  ajv.addSchema(commonSchema);
  validators = new Map(policyKinds.map((k) => [k, ajv.compile(kindSchemas[k])]));
  return validators;
}

export interface DocLocation {
  file: string;
  doc: number;
  locate: (path: JsonPath, opts?: { key?: boolean }) => { start: number; end: number } | undefined;
}

/**
 * Check one document's envelope and its kind's schema. Returns the kind when the document
 * is valid, and diagnostics (every error in the document at once) otherwise.
 */
export function validateDoc(
  value: unknown,
  loc: DocLocation,
): { kind?: PolicyKind; diagnostics: Diagnostic[] } {
  const d = (
    code: DiagnosticCode,
    path: JsonPath,
    message: string,
    hint?: string,
    key = false,
  ): Diagnostic => ({
    code,
    severity: 'error',
    message,
    hint,
    file: loc.file,
    doc: loc.doc,
    path,
    span: loc.locate(path, { key }),
  });
  if (value == null || typeof value !== 'object' || Array.isArray(value)) {
    return {
      diagnostics: [
        d(
          'schema/not-a-mapping',
          [],
          `document ${loc.doc + 1} is ${describe(value)}, not a mapping`,
          'A policy document is a mapping with apiVersion, kind, metadata and spec.',
        ),
      ],
    };
  }
  const obj = value as Record<string, unknown>;
  const diags: Diagnostic[] = [];
  if (!('apiVersion' in obj))
    diags.push(
      d('schema/missing-field', [], 'missing required field "apiVersion"', `Add apiVersion: ${API_VERSION}`),
    );
  else if (obj.apiVersion !== API_VERSION)
    diags.push(
      d(
        'schema/unknown-api-version',
        ['apiVersion'],
        `unknown apiVersion ${quote(obj.apiVersion)}`,
        `This version of Rudder understands ${API_VERSION}.`,
      ),
    );
  if (!('kind' in obj))
    diags.push(
      d('schema/missing-field', [], 'missing required field "kind"', `Add one of: ${policyKinds.join(', ')}`),
    );
  else if (!isPolicyKind(obj.kind))
    diags.push(
      d(
        'schema/unknown-kind',
        ['kind'],
        `unknown kind ${quote(obj.kind)}`,
        suggestion(String(obj.kind), policyKinds),
      ),
    );
  if (diags.length > 0 || !isPolicyKind(obj.kind)) return { diagnostics: diags };

  const kind = obj.kind;
  const validate = getValidators().get(kind)!;
  if (validate(value)) return { kind, diagnostics: [] };
  return { diagnostics: mapErrors(validate.errors ?? [], value, d) };
}

type MakeDiag = (
  code: DiagnosticCode,
  path: JsonPath,
  message: string,
  hint?: string,
  key?: boolean,
) => Diagnostic;

function mapErrors(errors: ErrorObject[], root: unknown, d: MakeDiag): Diagnostic[] {
  const out = new Map<string, Diagnostic>();
  // With discriminator, a failed tag makes oneOf noise; keep the most specific messages.
  const specific = errors.filter((e) => !['oneOf', 'anyOf', 'if'].includes(e.keyword));
  for (const e of specific.length > 0 ? specific : errors) {
    const path = pointerToPath(e.instancePath, root);
    const diag = mapOne(e, path, d);
    if (!diag) continue;
    const key = `${diag.code}|${diag.path.join('/')}`;
    if (!out.has(key)) out.set(key, diag);
  }
  // A wrong type makes any other complaint about the same value redundant.
  const typed = new Set(
    [...out.values()].filter((x) => x.code === 'schema/wrong-type').map((x) => x.path.join('/')),
  );
  return [...out.values()].filter((x) => x.code === 'schema/wrong-type' || !typed.has(x.path.join('/')));
}

const CREDENTIAL_FIELD = /secret|password|passwd|credential|token|access_?key|accesskey|private_?key/i;

function mapOne(e: ErrorObject, path: (string | number)[], d: MakeDiag): Diagnostic | undefined {
  const where = dotted(path);
  const value = e.data;
  const p = e.params as Record<string, unknown>;
  const parent = (e.parentSchema ?? {}) as Record<string, unknown>;
  switch (e.keyword) {
    case 'required': {
      const field = String(p.missingProperty);
      return d(
        'schema/missing-field',
        [...path, field],
        `missing required field "${dotted([...path, field])}"`,
        describeField(parent, field),
        false,
      );
    }
    case 'additionalProperties': {
      const field = String(p.additionalProperty);
      // A credential in a policy file would land in git: refuse it by name, with no code frame
      // (the frame would print the secret) and without echoing the value.
      if (CREDENTIAL_FIELD.test(field))
        return {
          ...d(
            'schema/credentials-in-file',
            [...path, field],
            `"${dotted([...path, field])}" looks like a credential; credentials never go in files in the repository`,
            'Remove it (and rotate it if it was committed). Rudder reads S3 credentials from the standard AWS chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, SSO, web identity (CI OIDC) or an instance role.',
          ),
          span: undefined,
        };
      const known = Object.keys(parent.properties ?? {});
      const near = didYouMean(field, known);
      return d(
        'schema/unknown-field',
        [...path, field],
        `unknown field "${dotted([...path, field])}"`,
        near
          ? `Did you mean "${near}"? Allowed here: ${known.join(', ')}`
          : `Allowed here: ${known.join(', ')}`,
        true,
      );
    }
    case 'type':
      return d(
        'schema/wrong-type',
        path,
        `${where} must be ${article(String(p.type))}, got ${describe(value)} ${quote(value)}`,
      );
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      return d(
        'schema/invalid-value',
        path,
        `${where} is ${quote(value)}; expected one of: ${allowed.join(', ')}`,
        suggestion(String(value), allowed),
      );
    }
    case 'const':
      return d(
        'schema/invalid-value',
        path,
        `${where} is ${quote(value)}; expected ${quote(p.allowedValue)}`,
      );
    case 'discriminator': {
      const tag = String(p.tag);
      const branches = (parent.oneOf as { $ref?: string }[] | undefined) ?? [];
      const allowed = branches
        .map(
          (b) =>
            String(b.$ref ?? '')
              .split('/')
              .pop() ?? '',
        )
        .filter(Boolean);
      if (p.error === 'mapping')
        return d(
          'schema/invalid-value',
          [...path, tag],
          `${dotted([...path, tag])} is ${quote(p.tagValue)}; expected one of: ${allowed.join(', ')}`,
          suggestion(String(p.tagValue), allowed),
        );
      return d(
        'schema/missing-field',
        [...path, tag],
        `missing required field "${dotted([...path, tag])}"`,
        `One of: ${allowed.join(', ')}`,
      );
    }
    case 'format':
      return mapFormat(String(p.format), path, value, d);
    case 'pattern': {
      const pattern = String(p.pattern);
      if (pattern === '^auto$')
        return d(
          'schema/invalid-value',
          path,
          `${where} is ${quote(value)}; expected a positive integer or "auto"`,
        );
      if (pattern === '^balanced$')
        return d(
          'schema/invalid-value',
          path,
          `${where} is ${quote(value)}; expected "balanced" or a weight per class`,
        );
      if (pattern.includes(':'))
        return d(
          'schema/invalid-value',
          path,
          `${where} is ${quote(value)}; expected view:feature or view:*`,
          'For example customer_activity:spend_30d',
        );
      if (pattern.startsWith('^[a-z][a-z0-9_-]'))
        return d(
          'schema/invalid-name',
          path,
          `${where} is ${quote(value)}: names use lowercase letters, digits, "-" and "_", start with a letter, at most 63 characters`,
        );
      if (pattern.startsWith('^[A-Za-z_]'))
        return d(
          'schema/invalid-name',
          path,
          `${where} is ${quote(value)}: identifiers use letters, digits and "_", and do not start with a digit`,
        );
      return d('schema/invalid', path, `${where} is ${quote(value)}; it must match ${pattern}`);
    }
    case 'propertyNames':
      return undefined; // the nested pattern error names the key
    case 'false schema':
      // A field that exists, but not together with the others given (if/then/else branches).
      return d(
        'schema/unknown-field',
        path,
        `"${where}" does not apply here`,
        path.includes('artifacts')
          ? 'spec.artifacts.path is for type local; bucket, prefix, endpoint, region, forcePathStyle and cache are for type s3.'
          : 'Each field’s description says where it applies (docs/policy-reference.md).',
        true,
      );
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return d(
        'schema/out-of-range',
        path,
        `${where} is ${quote(value)}; it must be ${String(p.comparison)} ${String(p.limit)}`,
      );
    case 'minItems':
      return d(
        'schema/too-few-items',
        path,
        `${where} has ${(value as unknown[]).length} item(s); at least ${String(p.limit)} required`,
      );
    case 'maxItems':
      return d(
        'schema/too-many-items',
        path,
        `${where} has ${(value as unknown[]).length} items; at most ${String(p.limit)} allowed`,
      );
    case 'uniqueItems':
      return d(
        'schema/duplicate-item',
        [...path, Number(p.i)],
        `${where} repeats ${quote((value as unknown[])[Number(p.i)])} (items ${Number(p.j) + 1} and ${Number(p.i) + 1})`,
        'Remove the repeated item.',
      );
    case 'minProperties':
    case 'maxProperties': {
      const options = Object.keys(parent.properties ?? {});
      const count = value && typeof value === 'object' ? Object.keys(value).length : 0;
      return d(
        'schema/invalid',
        path,
        `${where} has ${count} field(s); it must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(p.limit)}`,
        options.length
          ? `${e.keyword === 'maxProperties' && Number(p.limit) === 1 ? 'Exactly one of' : 'Fields'}: ${options.join(', ')}`
          : undefined,
      );
    }
    case 'minLength':
    case 'maxLength':
      return d(
        'schema/invalid',
        path,
        `${where} is ${e.keyword === 'minLength' ? 'shorter' : 'longer'} than ${String(p.limit)} characters`,
      );
    default:
      return d('schema/invalid', path, `${where} ${e.message ?? 'is invalid'}`);
  }
}

function mapFormat(format: string, path: JsonPath, value: unknown, d: MakeDiag): Diagnostic {
  const where = dotted(path);
  switch (format) {
    case 'rudder-duration':
      return d(
        'schema/invalid-duration',
        path,
        `${where} is ${quote(value)}, not a duration`,
        'Write an integer and a unit: 500ms, 90s, 15m, 24h, 30d, 2w.',
      );
    case 'rudder-percentage':
      return d(
        'schema/invalid-percentage',
        path,
        `${where} is ${quote(value)}, not a share`,
        'Write a number in [0, 1] (0.25) or a percentage up to 100% ("25%").',
      );
    case 'rudder-metric':
      return d(
        'schema/invalid-metric',
        path,
        `${where}: unknown metric ${quote(value)}`,
        suggestion(String(value), modelMetrics),
      );
    case 'rudder-analysis-metric':
      return d(
        'schema/invalid-metric',
        path,
        `${where}: unknown metric ${quote(value)}`,
        `${suggestion(String(value), analysisMetricNames)}, or custom:<name> for a business metric.`,
      );
    default:
      return d('schema/invalid', path, `${where} is ${quote(value)}, not a valid ${format}`);
  }
}

function describeField(parent: Record<string, unknown>, field: string): string | undefined {
  const props = parent.properties as Record<string, { description?: string }> | undefined;
  const desc = props?.[field]?.description;
  return desc ? `${field}: ${desc}` : undefined;
}

/** An ajv instancePath (JSON pointer) as a path, with array indices as numbers. */
export function pointerToPath(pointer: string, root: unknown): (string | number)[] {
  if (pointer === '') return [];
  const out: (string | number)[] = [];
  let cur: unknown = root;
  for (const raw of pointer.slice(1).split('/')) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    const key: string | number = Array.isArray(cur) && /^\d+$/.test(seg) ? Number(seg) : seg;
    out.push(key);
    cur = cur != null && typeof cur === 'object' ? (cur as Record<string, unknown>)[key] : undefined;
  }
  return out;
}

/** `['spec', 'features', 2, 'name']` → `spec.features[2].name` */
export function dotted(path: JsonPath): string {
  let s = '';
  for (const seg of path) s += typeof seg === 'number' ? `[${seg}]` : s === '' ? seg : `.${seg}`;
  return s === '' ? '(document)' : s;
}

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'a list';
  if (typeof v === 'object') return 'a mapping';
  if (typeof v === 'string') return 'a string';
  if (typeof v === 'number') return Number.isInteger(v) ? 'an integer' : 'a number';
  if (typeof v === 'boolean') return 'a boolean';
  return typeof v;
}

function article(types: string): string {
  return types
    .split(',')
    .map((t) =>
      t === 'object' ? 'a mapping' : t === 'array' ? 'a list' : t === 'integer' ? 'an integer' : `a ${t}`,
    )
    .join(' or ');
}
