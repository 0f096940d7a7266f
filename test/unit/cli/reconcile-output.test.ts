import { describe, expect, test } from 'vitest';
import type { PlanAction, ReconcileResult } from '../../../src/api/index.ts';
import { renderOutcomes } from '../../../src/cli/commands/reconcile.ts';

const action = (id: string, reasons: string[]): PlanAction =>
  ({ id, reasons: reasons.map((message) => ({ message })) }) as unknown as PlanAction;

describe('rudder reconcile output', () => {
  test('GIVEN a pass that advanced a rollout and failed a retrain THEN each action is printed with its reasons', () => {
    const r = {
      ok: false,
      diagnostics: [],
      sources: new Map(),
      held: [],
      summary: 'Apply finished: 1 done, 1 failed.',
      plan: {
        actions: [
          action('rollout.advance:churn@v3', [
            'analysis passed: auc 0.81 vs champion 0.80 on 412 paired rows',
          ]),
          action('model.train:churn', ['3 of 7 features drifted', 'cooldown 1d passed']),
        ],
      },
      outcomes: [
        {
          id: 'rollout.advance:churn@v3',
          type: 'rollout.advance',
          status: 'done',
          message: 'v3 at 50 %',
          files: [],
        },
        {
          id: 'model.train:churn',
          type: 'model.train',
          status: 'failed',
          message: 'trainer exited 1',
          files: [],
        },
      ],
    } as unknown as ReconcileResult;
    expect(renderOutcomes(r)).toBe(
      [
        '  ✓ rollout.advance:churn@v3: v3 at 50 %',
        '      analysis passed: auc 0.81 vs champion 0.80 on 412 paired rows',
        '  ✗ model.train:churn: trainer exited 1',
        '      3 of 7 features drifted',
        '      cooldown 1d passed',
        '',
      ].join('\n'),
    );
  });

  test('GIVEN a pass with nothing to do THEN nothing is printed beyond the summary', () => {
    expect(renderOutcomes({ outcomes: [], held: [] } as unknown as ReconcileResult)).toBe('');
  });
});
