import { expect, test } from 'vitest';
import { formatAge } from '../../../src/planner/plan-context.ts';

test('formatAge: seconds under two minutes, then minutes, hours, days; never negative', () => {
  expect(formatAge(-5_000)).toBe('0s');
  expect(formatAge(11_400)).toBe('11s');
  expect(formatAge(119_000)).toBe('119s');
  expect(formatAge(120_000)).toBe('2m');
  expect(formatAge(3 * 3_600_000)).toBe('3h');
  expect(formatAge(3 * 86_400_000)).toBe('3d');
});
