import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { renderSchemaTypes } from '../../../src/schema/render-types.ts';
import { renderDiagnosticsDoc } from '../../../src/diagnostics/render-doc.ts';
import { renderPolicyReference } from '../../../src/schema/render-reference.ts';
import { parseDuration, parsePercentage, formatDuration } from '../../../src/schema/vocabulary.ts';

describe('schemas', () => {
  test('the TypeScript policy types are generated from the current JSON Schemas', async () => {
    // If this fails: npm run schema:types, then review the diff.
    const onDisk = readFileSync(new URL('../../../src/schema/types.generated.ts', import.meta.url), 'utf8');
    expect(await renderSchemaTypes()).toBe(onDisk);
  });

  test('docs/diagnostics.md lists every diagnostic code', () => {
    // If this fails: npm run docs.
    const onDisk = readFileSync(new URL('../../../docs/diagnostics.md', import.meta.url), 'utf8');
    expect(renderDiagnosticsDoc()).toBe(onDisk);
    expect(renderPolicyReference()).toBe(
      readFileSync(new URL('../../../docs/policy-reference.md', import.meta.url), 'utf8'),
    );
  });

  test('durations and shares parse exactly, and reject what they should', () => {
    expect(parseDuration('90s')).toBe(90_000);
    expect(parseDuration('2w')).toBe(14 * 86_400_000);
    expect(parseDuration('0s')).toBe(0);
    for (const bad of ['1.5h', '30days', '-1d', '01d', '', '1 d', '1D'])
      expect(parseDuration(bad)).toBeUndefined();
    expect(formatDuration(86_400_000)).toBe('1d');
    expect(formatDuration(90_000)).toBe('90s');
    expect(parsePercentage('10%')).toBe(0.1);
    expect(parsePercentage('12.5%')).toBe(0.125);
    expect(parsePercentage(0.3)).toBe(0.3);
    for (const bad of ['101%', '-5%', '5 %', 1.2, -0.1, Number.NaN])
      expect(parsePercentage(bad)).toBeUndefined();
  });
});
