// Request validation for the routes: the wire formats in src/schema/serving.schema.json, checked
// by Fastify with an Ajv 2020-12 instance (the schemas are 2020-12, Fastify's own Ajv is draft-07),
// and each failure turned into the 400 the server has always answered: the field's path in the
// request (`instances[0].entity.customer_id`) and what it must be (the schema's `errorMessage`).
import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js';
import type { FastifySchemaCompiler } from 'fastify';
import servingSchema from '../schema/serving.schema.json' with { type: 'json' };
import { HttpError } from './http-error.ts';

export type WireDef = keyof typeof servingSchema.$defs;

/** A route schema part referring to one definition of the wire-format schema. */
export const wire = (def: WireDef): { $ref: string } => ({ $ref: `${servingSchema.$id}#/$defs/${def}` });

/**
 * The schema as Fastify's serializer (fast-json-stringify) is given it: without the `$schema`
 * its draft-07 Ajv does not know. Response schemas only use keywords both drafts share.
 */
export function serializerSchema(): Record<string, unknown> {
  const { $schema: _s, ...rest } = servingSchema;
  return rest;
}

export function servingValidatorCompiler(): FastifySchemaCompiler<unknown> {
  const ajv = new Ajv2020({
    allErrors: false,
    strict: true,
    strictRequired: false,
    allowUnionTypes: true,
    verbose: true,
    // What Fastify's own Ajv does by default and this server must not: quietly drop unknown
    // fields (they are a 400 here), coerce types or fill defaults.
    removeAdditional: false,
    coerceTypes: false,
    useDefaults: false,
  });
  ajv.addKeyword('tsType'); // an annotation for json-schema-to-typescript
  ajv.addKeyword({ keyword: 'errorMessage', schemaType: 'string' }); // read by requestError()
  ajv.addSchema(servingSchema);
  return ({ schema }) => ajv.compile(schema as object);
}

/** `/instances/0/features/a:b` → `instances[0].features.a:b`. */
function fieldPath(pointer: string): string {
  let out = '';
  for (const raw of pointer.split('/').slice(1)) {
    const seg = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    out += /^\d+$/.test(seg) ? `[${seg}]` : out ? `.${seg}` : seg;
  }
  return out;
}

/** The 400 for a request that fails its schema (the first error: one thing to fix at a time). */
export function requestError(errors: readonly ErrorObject[]): HttpError {
  const e = errors[0];
  if (!e) return new HttpError(400, 'the request does not match its schema', 'bad-request', 'body');
  const at = fieldPath(e.instancePath);
  const child = (k: string): string => (at ? `${at}.${k}` : k);
  if (e.keyword === 'additionalProperties') {
    const field = child(String(e.params.additionalProperty));
    const parent = e.parentSchema as { properties?: Record<string, unknown> } | undefined;
    const expected = Object.keys(parent?.properties ?? {}).join(', ');
    return new HttpError(400, `unknown field ${field} (expected ${expected})`, 'bad-request', field);
  }
  if (e.keyword === 'required') {
    const field = child(String(e.params.missingProperty));
    return new HttpError(400, `${field} is required`, 'bad-request', field);
  }
  const must = (e.parentSchema as { errorMessage?: string } | undefined)?.errorMessage ?? e.message;
  return new HttpError(400, `${at || 'the body'} ${must}`, 'bad-request', at || 'body');
}
