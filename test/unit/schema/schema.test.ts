import { readFileSync } from 'node:fs';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { describe, expect, test } from 'vitest';
import { generatedTypeFiles } from '../../../src/schema/render-types.ts';
import lockSchema from '../../../src/schema/lock.schema.json' with { type: 'json' };
import planSchema from '../../../src/schema/plan.schema.json' with { type: 'json' };
import { LOCK_VERSION, rolloutStatuses, versionStatuses } from '../../../src/state/types.ts';
import { PLAN_FORMAT_VERSION, actionTypes } from '../../../src/planner/plan-types.ts';
import { renderDiagnosticsDoc } from '../../../src/diagnostics/render-doc.ts';
import { renderPolicyReference } from '../../../src/schema/render-reference.ts';
import { parseDuration, parsePercentage, formatDuration } from '../../../src/schema/vocabulary.ts';

describe('schemas', () => {
  // Policies, lockfiles and the plan file: each has one definition, its JSON Schema; the types are
  // generated from it. If this fails: npm run schema:types, then review the diff.
  test.each(generatedTypeFiles.map((f) => [f.path, f.render] as const))(
    '%s is generated from the current JSON Schema',
    async (path, render) => {
      const onDisk = readFileSync(new URL(`../../../${path}`, import.meta.url), 'utf8');
      expect(await render()).toBe(onDisk);
    },
  );

  test('the lock and plan schemas are valid draft 2020-12 schemas under ajv strict mode', () => {
    // plan-file.ts skips this check at run time (validateSchema: false) to start faster.
    for (const schema of [lockSchema, planSchema]) {
      const ajv = new Ajv2020({ strict: true, strictRequired: false, allowUnionTypes: true });
      ajv.addKeyword('tsType');
      expect(ajv.validateSchema(schema), JSON.stringify(ajv.errors)).toBe(true);
      ajv.addSchema(schema);
      for (const def of Object.keys(schema.$defs))
        expect(ajv.getSchema(`${schema.$id}#/$defs/${def}`)).toBeTypeOf('function');
    }
  });

  test('the const lists the code iterates over are the schema enums', () => {
    expect(versionStatuses).toEqual(lockSchema.$defs.VersionStatus.enum);
    expect(rolloutStatuses).toEqual(lockSchema.$defs.RolloutStatus.enum);
    expect(LOCK_VERSION).toBe(lockSchema.$defs.LockVersion.const);
    expect(PLAN_FORMAT_VERSION).toBe(planSchema.$defs.FormatVersion.const);
    expect(actionTypes).toEqual(planSchema.$defs.ActionType.enum);
  });

  test('every action type has exactly one variant in the plan schema, and every variant a type', () => {
    const variantTypes = planSchema.$defs.Action.oneOf.map((r) => {
      const def = (planSchema.$defs as Record<string, unknown>)[r.$ref.replace('#/$defs/', '')] as {
        allOf: [unknown, { properties: { type: { const: string } } }];
      };
      return def.allOf[1].properties.type.const;
    });
    expect(variantTypes).toEqual(planSchema.$defs.ActionType.enum);
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
