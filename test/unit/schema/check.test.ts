// src/schema/check.ts: the one Ajv set-up and the one mapping from Ajv errors to messages, in
// the three styles policies, lockfiles and plan files use.
import { describe, expect, test } from 'vitest';
import {
  describeSchemaErrors,
  dotted,
  lockStyle,
  planStyle,
  pointerToPath,
  policyStyle,
  schemaValidators,
  type ErrorStyle,
} from '../../../src/schema/check.ts';

const schema = {
  $id: 'https://example.test/thing.json',
  type: 'object',
  required: ['name'],
  additionalProperties: false,
  properties: {
    name: { type: 'string', description: 'What it is called.' },
    size: { type: 'integer', minimum: 1 },
    colour: { enum: ['red', 'green'] },
    tags: { type: 'object', propertyNames: { pattern: '^[a-z]+$' } },
  },
};
const validator = schemaValidators({ schemas: [schema] });

function findings(value: unknown, style: ErrorStyle) {
  const validate = validator(schema.$id);
  expect(validate(value)).toBe(false);
  return describeSchemaErrors(validate.errors ?? [], value, style).map(
    (f) => `${f.kind} ${dotted(f.path)}: ${f.message}${f.hint ? ` (${f.hint})` : ''}`,
  );
}

describe('schemaValidators', () => {
  test('compiles a schema once: the same validator every time it is asked for', () => {
    expect(validator(schema.$id)).toBe(validator(schema.$id));
    expect(() => validator('https://example.test/none.json')).toThrow(/no schema/);
  });
});

describe('describeSchemaErrors', () => {
  const bad = { nme: 'x', size: 'big', colour: 'blue', tags: { Bad: 1 } };

  test('for authors (policies): types in words, hints, quoted fields', () => {
    expect(findings(bad, policyStyle)).toEqual([
      'missing-field name: missing required field "name" (name: What it is called.)',
      'unknown-field nme: unknown field "nme" (Did you mean "name"? Allowed here: name, size, colour, tags)',
      'wrong-type size: size must be an integer, got a string "big"',
      'invalid-value colour: colour is "blue"; expected one of: red, green (Known: red, green)',
      'invalid tags: tags is "Bad"; it must match ^[a-z]+$',
    ]);
  });

  test('for lockfiles: Ajv terms, quoted fields, no suggestions', () => {
    expect(findings(bad, lockStyle)).toEqual([
      'missing-field name: missing required field "name"',
      'unknown-field nme: unknown field "nme" (Allowed here: name, size, colour, tags)',
      'wrong-type size: size must be of type integer, got "big"',
      'invalid-value colour: colour is "blue"; expected one of: red, green',
      'invalid-value tags: tags is "Bad": it must match pattern "^[a-z]+$"',
    ]);
  });

  test('for plan files: unquoted fields, the refused key named', () => {
    expect(findings(bad, planStyle)).toEqual([
      'missing-field name: missing required field name',
      'unknown-field nme: unknown field nme (Allowed here: name, size, colour, tags)',
      'wrong-type size: size must be of type integer, got "big"',
      'invalid-value colour: colour is "blue"; expected one of: red, green',
      'invalid-value tags: tags has the key "Bad", which is not allowed here',
    ]);
  });

  test('a wrong type hides what else is said of the same value, except in plan files', () => {
    const s = { $id: 'https://example.test/n.json', type: 'integer', enum: [1, 2] };
    const v = schemaValidators({ schemas: [s] })(s.$id);
    v('x');
    const kinds = (style: ErrorStyle) => describeSchemaErrors(v.errors ?? [], 'x', style).map((f) => f.kind);
    expect(kinds(lockStyle)).toEqual(['wrong-type']);
    expect(kinds(planStyle)).toEqual(['wrong-type', 'invalid-value']);
  });
});

test('pointerToPath keeps array indices as numbers and unescapes ~0 ~1', () => {
  expect(pointerToPath('/a/0/b~1c~0d', { a: [{}] })).toEqual(['a', 0, 'b/c~d']);
  expect(dotted(['spec', 'features', 2, 'name'])).toBe('spec.features[2].name');
  expect(dotted([])).toBe('(document)');
});
