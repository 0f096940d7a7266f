// What apply refuses before anything runs, one row per refusal: checkPlan is pure, so each row is
// a plan, what was observed, and the options, with the diagnostic code and summary expected.
import { describe, expect, test } from 'vitest';
import { checkPlan, type CheckOptions, type PlanObservations } from '../../../src/executor/check-plan.ts';
import type { Plan, PlanAction } from '../../../src/planner/plan-types.ts';

const digest = (c: string) => `sha256:${c.repeat(64)}`;

const action = (id: string, extra: Partial<PlanAction> = {}): PlanAction =>
  ({
    id,
    type: 'model.train',
    op: 'create',
    params: { model: id },
    dependsOn: [],
    changes: [],
    reasons: [],
    ...extra,
  }) as unknown as PlanAction;

const plan = (over: Partial<Plan> = {}): Plan =>
  ({
    formatVersion: 1,
    rudder: '0.1.0',
    createdAt: '2026-07-06T00:00:00Z',
    inputs: {
      policies: digest('a'),
      lockfiles: { 'state/models/churn.lock.yaml': digest('b') },
      observations: digest('c'),
      repository: { project: 'acme', rootCommit: 'f'.repeat(40) },
      options: { retrain: [] },
    },
    inputsDigest: digest('d'),
    observations: {},
    actions: [action('model.train:churn')],
    waves: [['model.train:churn']],
    notes: [],
    blocked: [],
    source: { uncommittedState: [] },
    summary: { 'model.train': 1 },
    digest: digest('e'),
    ...over,
  }) as Plan;

const base = plan();
const observed = (over: Partial<PlanObservations> = {}): PlanObservations => ({
  fresh: base,
  replanned: () => base,
  dirty: [],
  ...over,
});

interface Row {
  name: string;
  observed: PlanObservations;
  opts: CheckOptions;
  code?: string;
  message?: RegExp;
  summary?: string;
}

const OUT_OF_DATE = 'Nothing applied: the plan is out of date.';
const destroying = plan({ actions: [action('model.retire:churn', { op: 'delete', destructive: true })] });

const rows: Row[] = [
  { name: 'accept: no reviewed plan, the fresh one applies', observed: observed(), opts: {} },
  { name: 'accept: a reviewed plan that still holds', observed: observed(), opts: { plan: base } },
  {
    name: 'a plan from another repository',
    observed: observed({
      fresh: plan({
        inputs: { ...base.inputs, repository: { project: 'other', rootCommit: '1'.repeat(40) } },
      }),
    }),
    opts: { plan: base },
    code: 'plan/other-repository',
    message: /^the plan was made elsewhere: the plan was made for acme \(ffffffffffff\), this is other/,
    summary: OUT_OF_DATE,
  },
  {
    name: 'a stale plan: its inputs changed',
    observed: observed({ fresh: plan({ inputs: { ...base.inputs, policies: digest('9') } }) }),
    opts: { plan: base },
    code: 'plan/stale',
    message: /^the plan no longer matches the world: policies changed$/,
    summary: OUT_OF_DATE,
  },
  {
    name: 'a tampered plan: its recorded inputs give another plan',
    observed: observed({ replanned: () => plan({ digest: digest('7'), actions: [] }) }),
    opts: { plan: base },
    code: 'plan/tampered',
    message:
      /^the plan file is not the plan its recorded inputs and observations give: the file adds model\.train:churn/,
    summary: 'Nothing applied: the plan file was edited.',
  },
  {
    name: 'a stale plan: observed now, the world asks for other actions',
    observed: observed({ fresh: plan({ actions: [action('model.train:churn', { op: 'update' })] }) }),
    opts: { plan: base },
    code: 'plan/stale',
    message: /observed now, it asks for other actions \(now different: model\.train:churn\)/,
    summary: OUT_OF_DATE,
  },
  {
    name: 'a blocked plan',
    observed: observed({
      fresh: plan({ blocked: [{ kind: 'FeatureView', name: 'events', reason: 'unreadable' }] }),
    }),
    opts: {},
    code: 'plan/blocked',
    message: /could not observe what it needs: FeatureView events \(unreadable\)$/,
    summary: 'Nothing applied: the plan is blind to part of the world.',
  },
  {
    name: 'uncommitted policies',
    observed: observed({ dirty: [{ path: 'policies/churn.yaml' }] }),
    opts: {},
    code: 'apply/dirty-policies',
    message: /^the policies have uncommitted changes \(policies\/churn\.yaml\)/,
    summary: 'Nothing applied.',
  },
  {
    name: 'accept: uncommitted policies with --allow-dirty',
    observed: observed({ dirty: [{ path: 'policies/churn.yaml' }] }),
    opts: { allowDirty: true },
  },
  { name: 'accept: nothing records policies (no git)', observed: observed({ dirty: undefined }), opts: {} },
  {
    name: 'a destroy that was not allowed',
    observed: observed({ fresh: destroying }),
    opts: {},
    code: 'apply/destroy-not-allowed',
    message: /^the plan removes state \(model\.retire:churn\) and --allow-destroy was not given$/,
    summary: 'Nothing applied.',
  },
  {
    name: 'accept: a destroy with --allow-destroy',
    observed: observed({ fresh: destroying }),
    opts: { allowDestroy: true },
  },
];

describe('checkPlan', () => {
  test.each(rows)('$name', (row) => {
    const r = checkPlan(row.observed, row.opts);
    if (!row.code) {
      expect(r).toEqual({ ok: true, plan: row.opts.plan ?? row.observed.fresh });
      return;
    }
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.diagnostics).toHaveLength(1);
    expect(r.diagnostics[0]).toMatchObject({ code: row.code, severity: 'error', path: [] });
    expect(r.diagnostics[0]!.message).toMatch(row.message!);
    expect(r.diagnostics[0]!.hint).toBeTruthy();
    expect(r.summary).toBe(row.summary);
    expect(r.plan).toBe(row.opts.plan ?? row.observed.fresh);
  });

  test('the reviewed plan is made again only when its inputs still match', () => {
    let asked = 0;
    const stale = observed({
      fresh: plan({ inputs: { ...base.inputs, policies: digest('9') } }),
      replanned: () => (asked++, base),
    });
    checkPlan(stale, { plan: base });
    expect(asked).toBe(0);
  });
});
