import { describe, expect, test } from 'vitest';
import { asOf } from '../../../src/cli/context.ts';
import { ExitError } from '../../../src/cli/io.ts';

describe('--as-of and RUDDER_NOW', () => {
  test('absent: the real clock (undefined)', () => {
    expect(asOf(undefined, undefined)).toBeUndefined();
    expect(asOf(undefined, '')).toBeUndefined();
  });

  test('an ISO date or time is the time every clock read returns', () => {
    expect(asOf('2026-05-01', undefined)?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
    expect(asOf('2026-05-01T12:30:00Z', undefined)?.toISOString()).toBe('2026-05-01T12:30:00.000Z');
    expect(asOf(undefined, '2026-05-01T12:30:00+02:00')?.toISOString()).toBe('2026-05-01T10:30:00.000Z');
  });

  test('the option wins over the environment', () => {
    expect(asOf('2026-05-01', '2020-01-01')?.toISOString()).toBe('2026-05-01T00:00:00.000Z');
  });

  test.each([
    ['yesterday', undefined, '--as-of "yesterday"'],
    ['2026-13-01', undefined, '--as-of "2026-13-01"'],
    ['1', undefined, '--as-of "1"'],
    [undefined, 'May 5', 'RUDDER_NOW "May 5"'],
  ])('%s / %s is a usage error naming where it came from', (option, env, named) => {
    expect(() => asOf(option, env)).toThrow(ExitError);
    expect(() => asOf(option, env)).toThrow(named);
  });
});
