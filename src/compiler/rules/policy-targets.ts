import { quote } from '../../diagnostics/diagnostic.ts';
import { lowerIsBetter, metricsForTask, modelMetrics } from '../../schema/vocabulary.ts';
import { suggestion } from '../../util/did-you-mean.ts';
import type { Model, Origin } from '../desired-state.ts';
import type { CompileContext, Pending } from '../context.ts';

/** A policy's model must exist, and one model gets at most one policy of each kind. */
export function policyTargetsExist(ctx: CompileContext): void {
  for (const list of [ctx.retrainPolicies, ctx.rolloutPolicies]) {
    const byModel = new Map<string, { name: string; origin: Origin }>();
    for (const p of list) {
      if (!ctx.models.has(p.model)) {
        if (ctx.broken.has(`Model/${p.model}`)) continue;
        ctx.report({
          code: 'policy/unknown-model',
          origin: p.origin,
          path: ['spec', 'model'],
          message: `${p.kind} ${quote(p.name)} targets unknown model ${quote(p.model)}`,
          hint: suggestion(p.model, ctx.models.keys()),
        });
        continue;
      }
      const first = byModel.get(p.model);
      if (first) {
        ctx.report({
          code: 'policy/duplicate-model',
          origin: p.origin,
          path: ['spec', 'model'],
          message: `model ${quote(p.model)} already has ${p.kind} ${quote(first.name)} (${first.origin.file}); ${quote(p.name)} names it again`,
          hint: `Merge the two ${p.kind} documents: a model follows one ${p.kind}.`,
        });
      } else byModel.set(p.model, { name: p.name, origin: p.origin });
    }
  }
}

/** Triggers and gates must name metrics the model computes, with usable bounds. */
export function retrainPolicyIsCoherent(ctx: CompileContext): void {
  for (const p of ctx.retrainPolicies) {
    const model = ctx.models.get(p.model);
    const written = ctx.triggerOrder.get(p.name) ?? p.triggers.map((t) => t.type);
    const seen = new Set<string>();
    written.forEach((type, i) => {
      if (seen.has(type))
        ctx.report({
          code: 'policy/duplicate-trigger',
          origin: p.origin,
          path: ['spec', 'triggers', i],
          message: `trigger ${quote(type)} appears twice in ${quote(p.name)}`,
          hint: 'Merge the two into one trigger.',
        });
      seen.add(type);
    });
    for (const t of p.triggers) {
      const i = written.indexOf(t.type);
      if (t.type === 'performance') {
        if (model)
          checkMetric(ctx, p.origin, ['spec', 'triggers', i, 'performance', 'metric'], t.metric, model);
        if (t.min == null && t.dropBy == null)
          ctx.report({
            code: 'policy/missing-bound',
            origin: p.origin,
            path: ['spec', 'triggers', i, 'performance'],
            message: `performance trigger on ${quote(t.metric)} sets neither min nor dropBy`,
            hint: 'Add min: <floor> (ceiling for error metrics) or dropBy: <amount>.',
          });
      }
      if (t.type === 'drift' && model) {
        const refs = new Set(model.features.map((f) => f.ref));
        t.features.forEach((f) => {
          if (!refs.has(f))
            ctx.report({
              code: 'policy/unknown-feature',
              origin: p.origin,
              path: ['spec', 'triggers', i, 'drift', 'features'],
              message: `drift trigger names ${quote(f)}, which model ${quote(model.name)} does not use`,
              hint: suggestion(f, refs),
            });
        });
      }
      if (t.type === 'featureChange' && model) {
        t.views.forEach((v) => {
          if (!model.views.includes(v))
            ctx.report({
              code: 'policy/unknown-feature',
              origin: p.origin,
              path: ['spec', 'triggers', i, 'featureChange', 'views'],
              message: `featureChange trigger names view ${quote(v)}, which model ${quote(model.name)} does not read`,
              hint: suggestion(v, model.views),
            });
        });
      }
    }
    p.gates.forEach((g, i) => {
      const path = ['spec', 'gates', i];
      if (model) checkMetric(ctx, p.origin, [...path, 'metric'], g.metric, model);
      if (g.min == null && g.max == null && g.beatChampionBy == null && g.maxRegression == null)
        ctx.report({
          code: 'policy/conflicting-gate',
          origin: p.origin,
          path,
          message: `gate on ${quote(g.metric)} sets no bound`,
          hint: 'Add min, max, beatChampionBy or maxRegression.',
        });
      else if (g.min != null && g.max != null && g.min > g.max)
        ctx.report({
          code: 'policy/conflicting-gate',
          origin: p.origin,
          path,
          message: `gate on ${quote(g.metric)} has min ${g.min} above max ${g.max}: no model can pass`,
          hint: 'Swap or fix the bounds.',
        });
      else if (g.beatChampionBy != null && g.maxRegression != null)
        ctx.report({
          code: 'policy/conflicting-gate',
          origin: p.origin,
          path,
          message: `gate on ${quote(g.metric)} sets both beatChampionBy and maxRegression`,
          hint: 'Use one per gate: beat the champion, or stay within a tolerance of it.',
        });
    });
  }
}

/** Canary weights climb; analysis metrics exist for the model. */
export function rolloutPolicyIsCoherent(ctx: CompileContext): void {
  for (const p of ctx.rolloutPolicies) {
    const model = ctx.models.get(p.model);
    const s = p.strategy;
    if (s.type === 'canary') {
      let prev = 0;
      s.steps.forEach((step, i) => {
        if (step.weight <= prev || step.weight > 1)
          ctx.report({
            code: 'policy/canary-steps',
            origin: p.origin,
            path: ['spec', 'strategy', 'steps', i, 'weight'],
            message: `canary step ${i + 1} has weight ${fmtPct(step.weight)}${i > 0 ? ` after ${fmtPct(prev)}` : ''}; weights must increase strictly`,
            hint: 'For example 5%, 25%, 50%, 100%. A final 100% step is implied when the last weight is lower.',
          });
        prev = Math.max(prev, step.weight);
      });
    }
    if (s.type === 'abTest' && model && isModelMetric(s.metric))
      checkMetric(ctx, p.origin, ['spec', 'strategy', 'metric'], s.metric, model);
    p.analysis.metrics.forEach((m, i) => {
      const path = ['spec', 'analysis', 'metrics', i];
      if (model && isModelMetric(m.metric)) checkMetric(ctx, p.origin, [...path, 'metric'], m.metric, model);
      if (m.min == null && m.max == null && m.maxDegradation == null)
        ctx.report({
          code: 'policy/conflicting-gate',
          origin: p.origin,
          path,
          message: `analysis metric ${quote(m.metric)} sets no threshold`,
          hint: `Add ${lowerIsBetter.has(m.metric) ? 'max' : 'min'} or maxDegradation.`,
        });
      else if (m.min != null && m.max != null && m.min > m.max)
        ctx.report({
          code: 'policy/conflicting-gate',
          origin: p.origin,
          path,
          message: `analysis metric ${quote(m.metric)} has min ${m.min} above max ${m.max}`,
          hint: 'Fix the bounds.',
        });
    });
  }
}

function isModelMetric(m: string): boolean {
  return (modelMetrics as readonly string[]).includes(m);
}

function checkMetric(
  ctx: CompileContext,
  origin: Origin,
  path: (string | number)[],
  metric: string,
  model: Pending<Model>,
): void {
  if (!metricsForTask(model.task).includes(metric)) {
    ctx.report({
      code: 'model/metric-task-mismatch',
      origin,
      path,
      message: `metric ${quote(metric)} does not apply to ${model.task} model ${quote(model.name)}`,
      hint: `Use one of: ${metricsForTask(model.task).join(', ')}`,
    });
  } else if (!model.metrics.includes(metric)) {
    ctx.report({
      code: 'policy/untracked-metric',
      origin,
      path,
      message: `metric ${quote(metric)} is not among model ${quote(model.name)}'s metrics (${model.metrics.join(', ')})`,
      hint: `Add ${metric} to the model's spec.metrics.`,
    });
  }
}

function fmtPct(x: number): string {
  return `${Number((x * 100).toFixed(4))}%`;
}
