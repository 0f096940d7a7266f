// The plan file against its schema (src/schema/plan.schema.json): every plan the planner writes
// passes it, and a file that does not gets a diagnostic naming the JSON path of the bad field.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { compilePolicies } from '../../../src/compiler/compile.ts';
import type { DesiredState } from '../../../src/compiler/desired-state.ts';
import type { Observations } from '../../../src/observe/observations.ts';
import { parsePlanFile, renderPlanJson } from '../../../src/planner/plan-file.ts';
import { planChanges } from '../../../src/planner/plan.ts';
import { actionTypes, PLAN_FORMAT_VERSION, type Plan } from '../../../src/planner/plan-types.ts';
import type { RolloutObservation } from '../../../src/rollout/observation.ts';
import { parseDocuments } from '../../../src/source/parse-documents.ts';
import { emptyLockState, record, type LockState } from '../../../src/state/types.ts';
import { digestOf } from '../../../src/util/canonical.ts';
import { nodeSha256 } from '../../../src/util/node-hash.ts';
import { dg, modelLock, modelVersion } from '../state/fixtures.ts';

// The repository's own policies: two views, churn with a retrain policy, a canary rollout and a
// PII data policy.
const POLICIES = join(import.meta.dirname, '../../../policies');
function desired(): DesiredState {
  const docs = readdirSync(POLICIES, { recursive: true })
    .map(String)
    .filter((f) => f.endsWith('.yaml'))
    .sort()
    .flatMap((f) => parseDocuments(`policies/${f}`, readFileSync(join(POLICIES, f))).docs);
  const r = compilePolicies({ projectDocs: [], docs }, { hash: nodeSha256 });
  if (!r.ok) throw new Error(JSON.stringify(r.diagnostics));
  return r.value;
}

const AT = '2026-06-01T12:00:00.000Z';
const H = 3_600_000;
const view = (seed: string) => ({ newestEvent: '2026-06-01T00:00:00Z', rows: 4000, sourceDigest: dg(seed) });
const observations = (rollouts?: Observations['rollouts']): Observations => ({
  version: 1,
  at: AT,
  views: { customer_activity: view('a'), customer_profile: view('p') },
  models: {},
  labels: { churn: { rows: 4000, newestLabel: '2026-06-01T00:00:00Z', sourceDigest: dg('l') } },
  ...(rollouts ? { rollouts } : {}),
});
const opts = {
  rudder: '0.1.0',
  repository: { project: 'acme-churn' },
  lockfileDigests: {},
  hash: nodeSha256,
};
const plan = (lock: LockState, obs = observations()): Plan => planChanges(desired(), lock, obs, opts);

/** A progressing canary of churn v2 against champion v1, and what observe saw of its step. */
function canary(step: number, verdict: RolloutObservation['verdict']): [LockState, Observations] {
  // Both versions trained yesterday from the current spec and views: nothing to retrain.
  const d = desired();
  const m = d.models.find((x) => x.name === 'churn')!;
  const current = {
    specDigest: m.digest,
    featureViewDigests: Object.fromEntries(d.featureViews.map((v) => [v.name, v.digest])),
    trainedAt: new Date(Date.parse(AT) - 24 * H).toISOString(),
  };
  const lock = emptyLockState();
  lock.models = record({
    churn: {
      ...modelLock('churn', [modelVersion(1, 'champion', current), modelVersion(2, 'challenger', current)]),
      specDigest: m.digest,
    },
  });
  const weight = [0.1, 0.5, 1][step]!;
  lock.rollouts = record({
    churn: {
      kind: 'RolloutLock',
      lockVersion: 1,
      model: 'churn',
      strategy: 'canary',
      status: 'progressing',
      step,
      versions: [
        { version: 1, weight: Math.round((1 - weight) * 10) / 10 },
        { version: 2, weight },
      ],
      analysis: [],
      startedAt: new Date(Date.parse(AT) - 10 * H).toISOString(),
      updatedAt: new Date(Date.parse(AT) - 5 * H).toISOString(),
    },
  });
  const passed = verdict !== 'failed';
  const observed: RolloutObservation = {
    version: 2,
    baselineVersion: 1,
    step,
    stepStartedAt: new Date(Date.parse(AT) - 5 * H).toISOString(),
    verdict,
    reasons: [passed ? 'error_rate 0 ≤ max 0.01' : 'error_rate 0.2 > max 0.01'],
    samples: 500,
    measurements: 4,
    results: [
      {
        metric: 'error_rate',
        value: passed ? 0 : 0.2,
        threshold: 0.01,
        rule: 'max',
        samples: 500,
        passed,
        from: '2026-06-01T11:00:00.000Z',
        to: '2026-06-01T11:05:00.000Z',
      },
    ],
  };
  return [lock, observations({ churn: observed })];
}

/** The plan file with an edit made by someone who also recomputed its digest (a forger, or another tool). */
function resigned(
  p: Plan,
  edit: (json: Record<string, unknown> & { actions: Record<string, unknown>[] }) => void,
): string {
  const json = JSON.parse(renderPlanJson(p)) as Record<string, unknown> & {
    actions: Record<string, unknown>[];
  };
  edit(json);
  const { digest: _d, ...body } = json;
  return renderPlanJson({ ...body, digest: digestOf(body, nodeSha256) } as unknown as Plan);
}

const parse = (text: string) => parsePlanFile(text, 'plan.json', nodeSha256);
const lines = (text: string) =>
  parse(text).diagnostics.map((d) => `${d.code} ${d.path.join('.')}: ${d.message}`);

describe('plan file schema', () => {
  test('every action type the planners write passes the schema, and the file round-trips', () => {
    const withLegacy = emptyLockState();
    // A candidate waiting next to a champion (a canary starts), and a model no policy names (retired).
    withLegacy.models = record({
      churn: modelLock(),
      legacy: modelLock('legacy', [modelVersion(1, 'champion')]),
    });
    const plans = [
      plan(emptyLockState()),
      plan(withLegacy),
      plan(...canary(0, 'passed')),
      plan(...canary(2, 'passed')),
      plan(...canary(1, 'failed')),
    ];
    const seen = new Set<string>();
    for (const p of plans) {
      const back = parse(renderPlanJson(p));
      expect(back.diagnostics).toEqual([]);
      expect(back.ok && back.value).toEqual(p);
      for (const a of p.actions) seen.add(a.type);
    }
    expect([...seen].sort()).toEqual([...actionTypes].sort());
  });

  test('GIVEN a field of the wrong type THEN plan/malformed names its JSON path', () => {
    const p = plan(emptyLockState());
    const i = p.actions.findIndex((a) => a.type === 'model.train');
    const text = resigned(p, (j) => {
      (j.actions[i]!.params as Record<string, unknown>).version = 'two';
    });
    const r = parse(text);
    expect(r.ok).toBe(false);
    expect(r.diagnostics).toEqual([
      expect.objectContaining({
        code: 'plan/malformed',
        file: 'plan.json',
        path: ['actions', i, 'params', 'version'],
        message: `plan.json: actions[${i}].params.version must be of type integer, got "two"`,
      }),
    ]);
  });

  test('an action is checked against the variant its type names: unknown fields, reason codes, missing params', () => {
    const p = plan(emptyLockState());
    const i = p.actions.findIndex((a) => a.type === 'feature.materialize');
    const text = resigned(p, (j) => {
      const a = j.actions[i]!;
      (a.params as Record<string, unknown>).version = 3;
      delete (a.params as Record<string, unknown>).viewDigest;
      (a.reasons as { code: string }[])[0]!.code = 'no-version';
    });
    expect(lines(text).sort()).toEqual(
      [
        `plan/malformed actions.${i}.params.version: plan.json: unknown field actions[${i}].params.version`,
        `plan/malformed actions.${i}.params.viewDigest: plan.json: missing required field actions[${i}].params.viewDigest`,
        `plan/malformed actions.${i}.reasons.0.code: plan.json: actions[${i}].reasons[0].code is "no-version"; expected one of: never-materialized, definition-changed, new-data, online-missing`,
      ].sort(),
    );
  });

  test('GIVEN an action type no Rudder knows THEN one diagnostic listing the known types', () => {
    const p = plan(emptyLockState());
    const text = resigned(p, (j) => {
      j.actions[0]!.type = 'model.explode';
    });
    expect(lines(text)).toEqual([
      `plan/malformed actions.0.type: plan.json: actions[0].type is "model.explode"; expected one of: ${actionTypes.join(', ')}`,
    ]);
  });

  test('GIVEN missing top-level fields and a bad summary key THEN each is named', () => {
    const p = plan(emptyLockState());
    const text = resigned(p, (j) => {
      delete j.waves;
      (j.summary as Record<string, number>)['model.explode'] = 1;
      (j.observations as Record<string, unknown>).at = 7;
    });
    expect(lines(text).sort()).toEqual(
      [
        'plan/malformed waves: plan.json: missing required field waves',
        'plan/malformed summary: plan.json: summary has the key "model.explode", which is not allowed here',
        'plan/malformed observations.at: plan.json: observations.at must be of type string, got 7',
      ].sort(),
    );
  });

  test('GIVEN an edit that breaks the format without re-signing THEN plan/tampered first, then where it broke', () => {
    const p = plan(emptyLockState());
    const text = renderPlanJson(p);
    const i = p.actions.findIndex((a) => a.type === 'model.train');
    const d = parse(text.replace('"model.train"', '"model.retire"')).diagnostics;
    expect(d[0]!.code).toBe('plan/tampered');
    expect(d.slice(1).map((x) => x.code)).toEqual(d.slice(1).map(() => 'plan/malformed'));
    expect(d.slice(1).map((x) => x.message)).toContain(
      `plan.json: unknown field actions[${i}].params.specDigest`,
    );
  });

  test('the version is checked before the schema: another format gets the version message only', () => {
    const p = plan(emptyLockState());
    for (const v of [1, PLAN_FORMAT_VERSION + 1]) {
      const text = resigned(p, (j) => {
        j.formatVersion = v;
        delete j.waves; // another format may well lack fields this one requires
      });
      const d = parse(text).diagnostics;
      expect(d.map((x) => x.code)).toEqual(['plan/unsupported-version']);
      expect(d[0]!.message).toContain(`plan format version ${v}`);
    }
    expect(lines('{"actions": []}')).toEqual(['plan/malformed : plan.json is not a Rudder plan']);
    expect(lines('[1, 2]')).toEqual(['plan/malformed : plan.json is not a Rudder plan']);
  });
});
