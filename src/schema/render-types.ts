// Dev-time only (scripts/ and the sync test import it): turns the JSON Schemas into TypeScript.
import { compile } from 'json-schema-to-typescript';
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
