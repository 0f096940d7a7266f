import { quote } from '../../diagnostics/diagnostic.ts';
import { metricsForTask } from '../../schema/vocabulary.ts';
import type { CompileContext } from '../context.ts';

/** Metrics must make sense for the task; declared classes must fit it. */
export function modelMetricsFitTask(ctx: CompileContext): void {
  for (const m of ctx.models.values()) {
    const allowed = metricsForTask(m.task);
    m.metrics.forEach((metric, i) => {
      if (!allowed.includes(metric))
        ctx.report({
          code: 'model/metric-task-mismatch',
          origin: m.origin,
          path: ['spec', 'metrics', i],
          message: `metric ${quote(metric)} does not apply to a ${m.task} model`,
          hint: `Use one of: ${allowed.join(', ')}`,
        });
    });
    const dup = m.metrics.findIndex((x, i) => m.metrics.indexOf(x) !== i);
    if (dup !== -1)
      ctx.report({
        code: 'schema/duplicate-item',
        origin: m.origin,
        path: ['spec', 'metrics', dup],
        message: `spec.metrics repeats ${quote(m.metrics[dup])}`,
        hint: 'Remove the repeated metric.',
      });
    const t = m.trainer;
    if (t.type === 'tfjs' && t.earlyStopping && !allowed.includes(t.earlyStopping.metric))
      ctx.report({
        code: 'model/metric-task-mismatch',
        origin: m.origin,
        path: ['spec', 'trainer', 'earlyStopping', 'metric'],
        message: `early-stopping metric ${quote(t.earlyStopping.metric)} does not apply to a ${m.task} model`,
        hint: `Use one of: ${allowed.join(', ')}`,
      });
    const classes = m.label.classes;
    if (classes) {
      if (m.task === 'regression')
        ctx.report({
          code: 'model/classes',
          origin: m.origin,
          path: ['spec', 'label', 'classes'],
          message: 'a regression model has no classes',
          hint: 'Remove spec.label.classes, or change the task.',
        });
      else if (m.task === 'binary-classification' && classes.length !== 2)
        ctx.report({
          code: 'model/classes',
          origin: m.origin,
          path: ['spec', 'label', 'classes'],
          message: `a binary-classification model has exactly 2 classes; ${classes.length} are listed`,
          hint: 'Use multiclass-classification for more than two.',
        });
    }
  }
}
