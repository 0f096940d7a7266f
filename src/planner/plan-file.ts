import type { Diagnostic, Result } from '../diagnostics/diagnostic.ts';
import { digestOf, type HashHex } from '../util/canonical.ts';
import { PLAN_FORMAT_VERSION, type Plan, type PlanInputs } from './plan-types.ts';

/** The plan as written to `--out`: canonical-enough JSON with a trailing newline. */
export function renderPlanJson(plan: Plan): string {
  return `${JSON.stringify(plan, null, 2)}\n`;
}

const diag = (code: Diagnostic['code'], file: string, message: string, hint: string): Diagnostic => ({
  code,
  severity: 'error',
  message,
  hint,
  file,
  path: [],
});

/** Parse and self-check a plan file: shape, version and its own digest. Pure. */
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
  if (
    p == null ||
    typeof p !== 'object' ||
    Array.isArray(p) ||
    typeof p.formatVersion !== 'number' ||
    typeof p.digest !== 'string' ||
    !Array.isArray(p.actions) ||
    !Array.isArray(p.waves) ||
    p.inputs == null ||
    p.observations == null
  )
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
  const { digest, ...body } = p as Plan;
  let actual: string;
  try {
    actual = digestOf(body, hash);
  } catch {
    actual = '(unreadable)';
  }
  if (actual !== digest)
    return {
      ok: false,
      diagnostics: [
        diag(
          'plan/tampered',
          file,
          `${file} does not match its digest ${digest.slice(7, 19)}: it was changed after rudder plan wrote it`,
          'Plan again; apply only what was reviewed.',
        ),
      ],
    };
  if (digestOf(p.inputs, hash) !== p.inputsDigest)
    return {
      ok: false,
      diagnostics: [
        diag('plan/tampered', file, `${file}: its inputs do not match inputsDigest`, 'Plan again.'),
      ],
    };
  return { ok: true, value: p as Plan, diagnostics: [] };
}

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
