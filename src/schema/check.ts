// One place where documents meet their JSON Schemas: the Ajv set-up (draft 2020-12, built once per
// family of schemas, validators compiled on first use) and the one mapping from Ajv's errors to
// messages. Policies, lockfiles and plan files all go through it; what differs between them is
// named in an ErrorStyle rather than written three times. Pure: no I/O.
import { Ajv2020, type ErrorObject, type Options, type ValidateFunction } from 'ajv/dist/2020.js';
import * as ajvFormats from 'ajv-formats';
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import { quote, type JsonPath } from '../diagnostics/diagnostic.ts';
import { didYouMean, suggestion } from '../util/did-you-mean.ts';
import { analysisMetricNames, modelMetrics } from './vocabulary.ts';

const addFormats = ((ajvFormats as unknown as { default?: unknown }).default ?? ajvFormats) as (
  a: Ajv2020,
  formats: string[],
) => Ajv2020;

/** A family of schemas checked together: the schemas, and what they need beyond draft 2020-12. */
export interface SchemaFamily {
  schemas: readonly object[];
  /** Formats from ajv-formats. */
  standardFormats?: readonly string[];
  /** Rudder's own string formats. */
  formats?: Readonly<Record<string, (s: string) => boolean>>;
  /** Keywords that annotate for other tools and have nothing to check. */
  annotations?: readonly string[];
  /** Ajv options on top of the shared ones. */
  options?: Options;
}

/**
 * The validator of a schema of the family, by $id or $id#pointer. Ajv is built on the first call
 * and each schema is compiled the first time it is asked for: a command that reads only
 * lockfiles never compiles the policy schemas.
 */
export function schemaValidators(family: SchemaFamily): (ref: string) => ValidateFunction {
  let ajv: Ajv2020 | undefined;
  const compiled = new Map<string, ValidateFunction>();
  return (ref) => {
    let v = compiled.get(ref);
    if (v) return v;
    ajv ??= buildAjv(family);
    v = ajv.getSchema(ref);
    if (!v) throw new Error(`no schema ${ref}`);
    compiled.set(ref, v);
    return v;
  };
}

function buildAjv(family: SchemaFamily): Ajv2020 {
  const ajv = new Ajv2020({
    // Every error at once, with the offending value and schema, for the messages below.
    allErrors: true,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    verbose: true,
    ...family.options,
  });
  if (family.standardFormats) addFormats(ajv, [...family.standardFormats]);
  for (const [name, validate] of Object.entries(family.formats ?? {}))
    ajv.addFormat(name, { type: 'string', validate });
  for (const k of family.annotations ?? []) ajv.addKeyword(k);
  for (const s of family.schemas) ajv.addSchema(s);
  return ajv;
}

/** What a finding is about: for policies the diagnostic code is `schema/<kind>`. */
export type FindingKind = SchemaCodeKind<DiagnosticCode>;
type SchemaCodeKind<C> = C extends `schema/${infer K}` ? K : never;

export interface SchemaFinding {
  kind: FindingKind;
  path: JsonPath;
  message: string;
  hint?: string;
  /** The span to show is the key rather than the value. */
  key?: boolean;
  /** Show no code frame: it would print the value (a credential). */
  noSpan?: boolean;
}

/** How findings are worded and merged; the differences between the three kinds of file. */
export interface ErrorStyle {
  /**
   * 'author': files people write (policies): types in words ("a mapping"), hints, and formats,
   * patterns, ranges and sizes explained. 'machine': files Rudder writes (lockfiles, plans):
   * Ajv's terms, with the offending value.
   */
  audience: 'author' | 'machine';
  /** Field names in quotes: missing required field "spec.x". */
  quoteFields: boolean;
  /**
   * A key refused by propertyNames: 'nested' leaves it to the nested error (which names the key
   * by its pattern); 'key' says the key is not allowed and drops the nested errors.
   */
  keyNames: 'nested' | 'key';
  /** Which findings are one: the same kind at the same path, or the same message at the same path. */
  sameWhen: 'kind' | 'message';
  /** A wrong type makes any other finding about the same value redundant. */
  typeHidesOthers: boolean;
}

export const policyStyle: ErrorStyle = {
  audience: 'author',
  quoteFields: true,
  keyNames: 'nested',
  sameWhen: 'kind',
  typeHidesOthers: true,
};
export const lockStyle: ErrorStyle = { ...policyStyle, audience: 'machine' };
export const planStyle: ErrorStyle = {
  audience: 'machine',
  quoteFields: false,
  keyNames: 'key',
  sameWhen: 'message',
  typeHidesOthers: false,
};

/** Ajv's errors as findings, in Ajv's order, each said once. */
export function describeSchemaErrors(
  errors: readonly ErrorObject[],
  root: unknown,
  style: ErrorStyle,
): SchemaFinding[] {
  const out = new Map<string, SchemaFinding>();
  // anyOf/oneOf/if summaries (and discriminator noise) repeat what their branches said, when a
  // branch said anything: keep the most specific messages.
  const specific = errors.filter(
    (e) =>
      !['anyOf', 'oneOf', 'if'].includes(e.keyword) &&
      (style.keyNames === 'nested' || e.propertyName == null),
  );
  for (const e of specific.length > 0 ? specific : errors) {
    const f = describeError(e, pointerToPath(e.instancePath, root), style);
    if (!f) continue;
    const key =
      style.sameWhen === 'kind' ? `${f.kind}|${f.path.join('/')}` : `${f.path.join('/')}|${f.message}`;
    if (!out.has(key)) out.set(key, f);
  }
  if (!style.typeHidesOthers) return [...out.values()];
  const typed = new Set(
    [...out.values()].filter((x) => x.kind === 'wrong-type').map((x) => x.path.join('/')),
  );
  return [...out.values()].filter((x) => x.kind === 'wrong-type' || !typed.has(x.path.join('/')));
}

const CREDENTIAL_FIELD = /secret|password|passwd|credential|token|access_?key|accesskey|private_?key/i;

function describeError(e: ErrorObject, path: JsonPath, style: ErrorStyle): SchemaFinding | undefined {
  const where = dotted(path);
  const p = e.params as Record<string, unknown>;
  const author = style.audience === 'author';
  const field = (at: JsonPath) => (style.quoteFields ? `"${dotted(at)}"` : dotted(at));
  switch (e.keyword) {
    case 'required': {
      const name = String(p.missingProperty);
      const at = [...path, name];
      const hint = author ? describeField(parentOf(e), name) : undefined;
      return { kind: 'missing-field', path: at, message: `missing required field ${field(at)}`, hint };
    }
    case 'additionalProperties':
    case 'unevaluatedProperties': {
      const name = String(p.additionalProperty ?? p.unevaluatedProperty);
      const at = [...path, name];
      // A credential in a policy file would land in git: refuse it by name, with no code frame
      // (the frame would print the secret) and without echoing the value.
      if (author && CREDENTIAL_FIELD.test(name))
        return {
          kind: 'credentials-in-file',
          path: at,
          message: `${field(at)} looks like a credential; credentials never go in files in the repository`,
          hint: 'Remove it (and rotate it if it was committed). Rudder reads S3 credentials from the standard AWS chain: AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_SESSION_TOKEN, AWS_PROFILE, SSO, web identity (CI OIDC) or an instance role.',
          noSpan: true,
        };
      const known = Object.keys(parentOf(e).properties ?? {});
      const near = author ? didYouMean(name, known) : undefined;
      const allowed = `Allowed here: ${known.join(', ')}`;
      const hint = near ? `Did you mean "${near}"? ${allowed}` : allowed;
      return { kind: 'unknown-field', path: at, message: `unknown field ${field(at)}`, hint, key: true };
    }
    case 'type': {
      const message = author
        ? `${where} must be ${article(String(p.type))}, got ${describe(e.data)} ${quote(e.data)}`
        : `${where} must be of type ${String(p.type)}, got ${quote(e.data)}`;
      return { kind: 'wrong-type', path, message };
    }
    case 'enum': {
      const allowed = (p.allowedValues as unknown[]).map(String);
      return {
        kind: 'invalid-value',
        path,
        message: `${where} is ${quote(e.data)}; expected one of: ${allowed.join(', ')}`,
        hint: author ? suggestion(String(e.data), allowed) : undefined,
      };
    }
    case 'const':
      return {
        kind: 'invalid-value',
        path,
        message: `${where} is ${quote(e.data)}; expected ${quote(p.allowedValue)}`,
      };
    case 'propertyNames':
      if (style.keyNames === 'nested') return undefined; // the nested pattern error names the key
      return {
        kind: 'invalid-value',
        path,
        message: `${where} has the key ${quote(p.propertyName)}, which is not allowed here`,
      };
  }
  if (author) return describeForAuthor(e, path);
  return {
    kind: 'invalid-value',
    path,
    message: `${where} is ${quote(e.data)}: it ${e.message ?? 'is invalid'}`,
  };
}

/** The keywords a person writing a policy meets, in their words. */
function describeForAuthor(e: ErrorObject, path: JsonPath): SchemaFinding {
  const where = dotted(path);
  const value = e.data;
  const p = e.params as Record<string, unknown>;
  const at = finding(path);
  switch (e.keyword) {
    case 'discriminator':
      return describeDiscriminator(e, path);
    case 'format':
      return describeFormat(String(p.format), path, value);
    case 'pattern':
      return describePattern(String(p.pattern), path, value);
    case 'false schema':
      // A field that exists, but not together with the others given (if/then/else branches).
      return {
        ...at(
          'unknown-field',
          `"${where}" does not apply here`,
          path.includes('artifacts')
            ? 'spec.artifacts.path is for type local; bucket, prefix, endpoint, region, forcePathStyle and cache are for type s3.'
            : 'Each field’s description says where it applies (docs/policy-reference.md).',
        ),
        key: true,
      };
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return at(
        'out-of-range',
        `${where} is ${quote(value)}; it must be ${String(p.comparison)} ${String(p.limit)}`,
      );
    case 'minItems':
      return at(
        'too-few-items',
        `${where} has ${(value as unknown[]).length} item(s); at least ${String(p.limit)} required`,
      );
    case 'maxItems':
      return at(
        'too-many-items',
        `${where} has ${(value as unknown[]).length} items; at most ${String(p.limit)} allowed`,
      );
    case 'uniqueItems':
      return {
        ...at(
          'duplicate-item',
          `${where} repeats ${quote((value as unknown[])[Number(p.i)])} (items ${Number(p.j) + 1} and ${Number(p.i) + 1})`,
          'Remove the repeated item.',
        ),
        path: [...path, Number(p.i)],
      };
    case 'minProperties':
    case 'maxProperties': {
      const options = Object.keys(parentOf(e).properties ?? {});
      const count = value && typeof value === 'object' ? Object.keys(value).length : 0;
      return at(
        'invalid',
        `${where} has ${count} field(s); it must have ${e.keyword === 'minProperties' ? 'at least' : 'at most'} ${String(p.limit)}`,
        options.length
          ? `${e.keyword === 'maxProperties' && Number(p.limit) === 1 ? 'Exactly one of' : 'Fields'}: ${options.join(', ')}`
          : undefined,
      );
    }
    case 'minLength':
    case 'maxLength':
      return at(
        'invalid',
        `${where} is ${e.keyword === 'minLength' ? 'shorter' : 'longer'} than ${String(p.limit)} characters`,
      );
    default:
      return at('invalid', `${where} ${e.message ?? 'is invalid'}`);
  }
}

function describeDiscriminator(e: ErrorObject, path: JsonPath): SchemaFinding {
  const p = e.params as Record<string, unknown>;
  const at = [...path, String(p.tag)];
  const branches = (parentOf(e).oneOf as { $ref?: string }[] | undefined) ?? [];
  const allowed = branches
    .map(
      (b) =>
        String(b.$ref ?? '')
          .split('/')
          .pop() ?? '',
    )
    .filter(Boolean);
  if (p.error === 'mapping')
    return {
      kind: 'invalid-value',
      path: at,
      message: `${dotted(at)} is ${quote(p.tagValue)}; expected one of: ${allowed.join(', ')}`,
      hint: suggestion(String(p.tagValue), allowed),
    };
  return {
    kind: 'missing-field',
    path: at,
    message: `missing required field "${dotted(at)}"`,
    hint: `One of: ${allowed.join(', ')}`,
  };
}

function describePattern(pattern: string, path: JsonPath, value: unknown): SchemaFinding {
  const where = dotted(path);
  const at = finding(path);
  if (pattern === '^auto$')
    return at('invalid-value', `${where} is ${quote(value)}; expected a positive integer or "auto"`);
  if (pattern === '^balanced$')
    return at('invalid-value', `${where} is ${quote(value)}; expected "balanced" or a weight per class`);
  if (pattern.includes(':'))
    return at(
      'invalid-value',
      `${where} is ${quote(value)}; expected view:feature or view:*`,
      'For example customer_activity:spend_30d',
    );
  if (pattern.startsWith('^[a-z][a-z0-9_-]'))
    return at(
      'invalid-name',
      `${where} is ${quote(value)}: names use lowercase letters, digits, "-" and "_", start with a letter, at most 63 characters`,
    );
  if (pattern.startsWith('^[A-Za-z_]'))
    return at(
      'invalid-name',
      `${where} is ${quote(value)}: identifiers use letters, digits and "_", and do not start with a digit`,
    );
  return at('invalid', `${where} is ${quote(value)}; it must match ${pattern}`);
}

function describeFormat(format: string, path: JsonPath, value: unknown): SchemaFinding {
  const where = dotted(path);
  const at = finding(path);
  switch (format) {
    case 'rudder-duration':
      return at(
        'invalid-duration',
        `${where} is ${quote(value)}, not a duration`,
        'Write an integer and a unit: 500ms, 90s, 15m, 24h, 30d, 2w.',
      );
    case 'rudder-percentage':
      return at(
        'invalid-percentage',
        `${where} is ${quote(value)}, not a share`,
        'Write a number in [0, 1] (0.25) or a percentage up to 100% ("25%").',
      );
    case 'rudder-metric':
      return at(
        'invalid-metric',
        `${where}: unknown metric ${quote(value)}`,
        suggestion(String(value), modelMetrics),
      );
    case 'rudder-analysis-metric':
      return at(
        'invalid-metric',
        `${where}: unknown metric ${quote(value)}`,
        `${suggestion(String(value), analysisMetricNames)}, or custom:<name> for a business metric.`,
      );
    default:
      return at('invalid', `${where} is ${quote(value)}, not a valid ${format}`);
  }
}

const finding =
  (path: JsonPath) =>
  (kind: FindingKind, message: string, hint?: string): SchemaFinding => ({ kind, path, message, hint });

const parentOf = (e: ErrorObject) =>
  (e.parentSchema ?? {}) as { properties?: Record<string, { description?: string }>; oneOf?: unknown };

function describeField(parent: ReturnType<typeof parentOf>, field: string): string | undefined {
  const desc = parent.properties?.[field]?.description;
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

/** What a value is, in words: "a mapping", "an integer". */
export function describe(v: unknown): string {
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
