import type { Diagnostic, JsonPath } from '../diagnostics/diagnostic.ts';
import { quote } from '../diagnostics/diagnostic.ts';
import type { DiagnosticCode } from '../diagnostics/codes.ts';
import { suggestion } from '../util/did-you-mean.ts';
import { describe, describeSchemaErrors, policyStyle, schemaValidators } from './check.ts';
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

const policyValidator = schemaValidators({
  schemas: [commonSchema, ...policyKinds.map((k) => kindSchemas[k])],
  standardFormats: ['email'],
  formats: {
    'rudder-duration': (s) => parseDuration(s) !== undefined,
    'rudder-percentage': (s) => parsePercentage(s) !== undefined,
    'rudder-metric': (s) => (modelMetrics as readonly string[]).includes(s),
    'rudder-analysis-metric': (s) =>
      (analysisMetricNames as readonly string[]).includes(s) || CUSTOM_METRIC.test(s),
  },
  options: { discriminator: true },
});

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
  const validate = policyValidator(kindSchemas[kind].$id as string);
  if (validate(value)) return { kind, diagnostics: [] };
  const findings = describeSchemaErrors(validate.errors ?? [], value, policyStyle);
  return {
    diagnostics: findings.map((f) => {
      const diag = d(`schema/${f.kind}`, f.path, f.message, f.hint, f.key);
      return f.noSpan ? { ...diag, span: undefined } : diag;
    }),
  };
}
