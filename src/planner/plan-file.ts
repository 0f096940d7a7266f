import type { ErrorObject, ValidateFunction } from 'ajv/dist/2020.js';
import type { Diagnostic, JsonPath, Result } from '../diagnostics/diagnostic.ts';
import planSchema from '../schema/plan.schema.json' with { type: 'json' };
import { describeSchemaErrors, planStyle, schemaValidators, type SchemaFinding } from '../schema/check.ts';
import { digestOf, type HashHex } from '../util/canonical.ts';
import { shortDigest } from '../util/messages.ts';
import { PLAN_FORMAT_VERSION, type Plan, type PlanInputs } from './plan-types.ts';

/** The plan as written to `--out`: canonical-enough JSON with a trailing newline. */
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

const diag = (
  code: Diagnostic['code'],
  file: string,
  message: string,
  hint: string,
  path: JsonPath = [],
): Diagnostic => ({ code, severity: 'error', message, hint, file, path });

/**
 * Parse and self-check a plan file: its format version, its shape (src/schema/plan.schema.json)
 * and its own digest. Pure.
 */
export function parsePlanFile(text: string, file: string, hash?: HashHex): Result<Plan> {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (e) {
    return {
      ok: false,
      diagnostics: [
        diag(
          'plan/malformed',
          file,
          `${file} is not valid JSON (${(e as Error).message}); it may be truncated`,
          'Run rudder plan --out again.',
        ),
      ],
    };
  }
  // What a file claims: any format version, until it is checked below.
  const p = value as (Partial<Omit<Plan, 'formatVersion'>> & { formatVersion?: number }) | null;
  if (p == null || typeof p !== 'object' || Array.isArray(p) || typeof p.formatVersion !== 'number')
    return {
      ok: false,
      diagnostics: [
        diag(
          'plan/malformed',
          file,
          `${file} is not a Rudder plan`,
          'Pass a file written by rudder plan --out.',
        ),
      ],
    };
  if (p.formatVersion !== PLAN_FORMAT_VERSION)
    return {
      ok: false,
      diagnostics: [
        diag(
          'plan/unsupported-version',
          file,
          `${file} has plan format version ${p.formatVersion}${p.rudder ? ` (written by Rudder ${p.rudder})` : ''}; this Rudder reads version ${PLAN_FORMAT_VERSION}`,
          p.formatVersion > PLAN_FORMAT_VERSION
            ? 'Upgrade Rudder, or plan again with this version.'
            : 'Plan again with this version of Rudder.',
        ),
      ],
    };
  // The version is checked first, so a plan of another format gets the version message rather
  // than a list of fields this format does not have.
  const malformed = checkPlanSchema(p).map((e) =>
    diag(
      'plan/malformed',
      file,
      `${file}: ${e.message}`,
      'The file was changed after rudder plan wrote it, or was not written by Rudder: run rudder plan --out again.',
      e.path,
    ),
  );
  if (typeof p.digest === 'string') {
    const { digest, ...body } = p as Plan;
    let actual: string;
    try {
      actual = digestOf(body, hash);
    } catch {
      actual = '(unreadable)';
    }
    // An edit is named as such first; the schema's findings, if any, say where it broke the format.
    if (actual !== digest)
      return {
        ok: false,
        diagnostics: [
          diag(
            'plan/tampered',
            file,
            `${file} does not match its digest ${shortDigest(digest)}: it was changed after rudder plan wrote it`,
            'Plan again; apply only what was reviewed.',
          ),
          ...malformed,
        ],
      };
  }
  if (malformed.length > 0) return { ok: false, diagnostics: malformed };
  const plan = p as Plan;
  if (digestOf(plan.inputs, hash) !== plan.inputsDigest)
    return {
      ok: false,
      diagnostics: [
        diag('plan/tampered', file, `${file}: its inputs do not match inputsDigest`, 'Plan again.'),
      ],
    };
  return { ok: true, value: plan, diagnostics: [] };
}

const planValidator = schemaValidators({
  schemas: [planSchema],
  annotations: ['tsType'], // for json-schema-to-typescript, nothing to check
  // A plan file is checked once per process, so compiling is most of the cost: without ajv's
  // code optimization it takes about half as long (the check itself stays under a millisecond),
  // and the schema itself is checked against the meta-schema by the schema test rather than on
  // every run.
  options: { code: { optimize: false }, validateSchema: false },
});

/** Each action type's variant in the schema, to report an action's errors against the variant its `type` names. */
let variantRefs: Map<string, string> | undefined;

function variant(type: string): ValidateFunction | undefined {
  variantRefs ??= (() => {
    const defs = planSchema.$defs as Record<
      string,
      { allOf?: { properties?: { type?: { const?: string } } }[] }
    >;
    return new Map(
      planSchema.$defs.Action.oneOf.map((r) => {
        const type = defs[r.$ref.replace('#/$defs/', '')]?.allOf?.[1]?.properties?.type?.const;
        if (type == null) throw new Error(`plan schema: ${r.$ref} names no action type`);
        return [type, `${planSchema.$id}${r.$ref}`] as const;
      }),
    );
  })();
  const ref = variantRefs.get(type);
  return ref == null ? undefined : planValidator(ref);
}

/** Check a plan (of the current format version) against src/schema/plan.schema.json; every finding at once. */
function checkPlanSchema(value: object): SchemaFinding[] {
  const plan = planValidator(planSchema.$id);
  if (plan(value)) return [];
  const errors: ErrorObject[] = [];
  const list = (value as { actions?: unknown }).actions;
  const redo = new Set<number>();
  for (const e of plan.errors ?? []) {
    const m = /^\/actions\/(\d+)(\/|$)/.exec(e.instancePath);
    if (m && Array.isArray(list)) redo.add(Number(m[1]));
    else errors.push(e);
  }
  for (const i of [...redo].sort((a, b) => a - b)) {
    const a = (list as unknown[])[i];
    const type = a != null && typeof a === 'object' ? (a as { type?: unknown }).type : undefined;
    const check = typeof type === 'string' ? variant(type) : undefined;
    if (check == null) {
      // Not an object, or a type no variant has: only that is worth saying.
      const known = planSchema.$defs.ActionType.enum;
      errors.push(
        typeof a !== 'object' || a == null || Array.isArray(a)
          ? schemaError(`/actions/${i}`, 'type', { type: 'object' }, a)
          : schemaError(`/actions/${i}/type`, 'enum', { allowedValues: known }, type),
      );
      continue;
    }
    if (check(a)) continue;
    for (const e of check.errors ?? []) errors.push({ ...e, instancePath: `/actions/${i}${e.instancePath}` });
  }
  return describeSchemaErrors(errors, value, planStyle);
}

const schemaError = (
  instancePath: string,
  keyword: string,
  params: Record<string, unknown>,
  data: unknown,
): ErrorObject => ({ instancePath, keyword, params, data, schemaPath: '' });

/** What differs between the inputs a plan was made from and the inputs now. Empty when none. */
export function diffPlanInputs(planned: PlanInputs, now: PlanInputs): string[] {
  const out: string[] = [];
  if (
    planned.repository.project !== now.repository.project ||
    (planned.repository.rootCommit &&
      now.repository.rootCommit &&
      planned.repository.rootCommit !== now.repository.rootCommit)
  )
    out.push(
      `repository: the plan was made for ${planned.repository.project}${planned.repository.rootCommit ? ` (${planned.repository.rootCommit.slice(0, 12)})` : ''}, this is ${now.repository.project}${now.repository.rootCommit ? ` (${now.repository.rootCommit.slice(0, 12)})` : ''}`,
    );
  if (planned.policies !== now.policies) out.push('policies changed');
  const files = new Set([...Object.keys(planned.lockfiles), ...Object.keys(now.lockfiles)]);
  for (const f of [...files].sort()) {
    const a = planned.lockfiles[f];
    const b = now.lockfiles[f];
    if (a === b) continue;
    out.push(a == null ? `${f} was created` : b == null ? `${f} was deleted` : `${f} changed`);
  }
  if (planned.observations !== now.observations)
    out.push('observations changed (a source has new data, or was rewritten)');
  if (
    planned.options.retrain.join(',') !== now.options.retrain.join(',') ||
    (planned.options.refresh ?? []).join(',') !== (now.options.refresh ?? []).join(',') ||
    (planned.options.abort ?? []).join(',') !== (now.options.abort ?? []).join(',')
  )
    out.push('options changed');
  return out;
}
