import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { validate } from '../../../src/api/index.ts';
import { limits, parseDocuments } from '../../../src/source/parse-documents.ts';

let root: string;
let outside: string;
beforeEach(() => {
  root = mkdtempSync(join(tmpdir(), 'rudder-load-'));
  outside = mkdtempSync(join(tmpdir(), 'rudder-outside-'));
  mkdirSync(join(root, 'policies'));
});
afterEach(() => {
  rmSync(root, { recursive: true, force: true });
  rmSync(outside, { recursive: true, force: true });
});

const VIEW = `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: v }
spec:
  source: { path: data/v.csv, timestamp: ts }
  entities: [id]
  features: [{ name: x, type: float }]
`;

describe('loadPolicies on hostile input', () => {
  test('a file over the size limit is rejected without being parsed', async () => {
    writeFileSync(join(root, 'policies', 'big.yaml'), `# ${'x'.repeat(limits.maxFileBytes)}\n`);
    const r = await validate({ cwd: root, checkPaths: false });
    expect(r.ok).toBe(false);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['source/file-too-large']);
    expect(r.diagnostics[0]!.file).toBe('policies/big.yaml');
  });

  test('a symlinked policy file that points outside the repository is refused', async () => {
    writeFileSync(join(outside, 'evil.yaml'), VIEW);
    symlinkSync(join(outside, 'evil.yaml'), join(root, 'policies', 'evil.yaml'));
    const r = await validate({ cwd: root, checkPaths: false });
    expect(r.diagnostics.map((d) => d.code)).toContain('source/path-escapes');
    expect(r.ok).toBe(false);
  });

  test('a symlinked folder inside the repository is followed once, and a loop does not hang', async () => {
    mkdirSync(join(root, 'shared'));
    writeFileSync(join(root, 'shared', 'v.yaml'), VIEW);
    symlinkSync(join(root, 'shared'), join(root, 'policies', 'linked'));
    symlinkSync(join(root, 'policies'), join(root, 'policies', 'loop'));
    const r = await validate({ cwd: root, checkPaths: false });
    expect(r.diagnostics).toEqual([]);
    expect(r.state?.featureViews.map((v) => v.name)).toEqual(['v']);
  });

  test('a data source reached through a symlink that leaves the repository is refused', async () => {
    writeFileSync(join(root, 'policies', 'v.yaml'), VIEW);
    writeFileSync(join(outside, 'secret.csv'), 'id,ts,x\n');
    mkdirSync(join(root, 'data'));
    symlinkSync(join(outside, 'secret.csv'), join(root, 'data', 'v.csv'));
    const r = await validate({ cwd: root });
    expect(r.diagnostics.map((d) => [d.code, d.file])).toEqual([['source/path-escapes', 'policies/v.yaml']]);
  });

  test('a missing source file is a warning, not an error', async () => {
    writeFileSync(join(root, 'policies', 'v.yaml'), VIEW);
    const r = await validate({ cwd: root });
    expect(r.ok).toBe(true);
    expect(r.diagnostics.map((d) => [d.code, d.severity])).toEqual([['path/not-found', 'warning']]);
  });

  test('a policy folder outside the repository is refused', async () => {
    writeFileSync(
      join(root, 'rudder.yaml'),
      `apiVersion: rudder.dev/v1alpha1\nkind: Project\nmetadata: { name: p }\nspec: { policies: ../elsewhere }\n`,
    );
    const r = await validate({ cwd: root });
    expect(r.diagnostics.map((d) => d.code)).toEqual(['path/escapes-repository']);
  });
});

describe('parseDocuments', () => {
  const parse = (text: string) => parseDocuments('p.yaml', new TextEncoder().encode(text));

  test('an alias bomb is rejected quickly', () => {
    let text = 'a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i < 30; i++)
      text += `a${i}: &a${i} [${Array(10)
        .fill(`*a${i - 1}`)
        .join(', ')}]\n`;
    const t0 = performance.now();
    const r = parse(text);
    expect(performance.now() - t0).toBeLessThan(2000); // generous: would be 10^30 nodes if expanded
    expect(r.diagnostics.map((d) => d.code)).toEqual(['yaml/alias-bomb']);
  });

  test('deep nesting is refused without exhausting the stack', () => {
    const r = parse(`${'['.repeat(50_000)}${']'.repeat(50_000)}\n`);
    expect(r.diagnostics.map((d) => d.code)).toEqual(['source/too-deep']);
  });

  test('__proto__ keys never reach an object prototype', () => {
    const r = parse('a: 1\n__proto__: { polluted: true }\n');
    expect(r.diagnostics.map((d) => d.code)).toEqual(['source/forbidden-key']);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  test('a UTF-8 byte-order mark is accepted', () => {
    const bytes = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode(VIEW)]);
    const r = parseDocuments('p.yaml', bytes);
    expect(r.diagnostics).toEqual([]);
    expect(r.docs).toHaveLength(1);
  });

  test('several documents per file keep their own positions', () => {
    const r = parse(`${VIEW}---\n${VIEW.replace('name: v', 'name: w')}`);
    expect(r.docs.map((d) => d.index)).toEqual([0, 1]);
    const second = r.docs[1]!;
    const span = second.locate(['metadata', 'name'])!;
    expect(r.text!.slice(span.start, span.end)).toBe('w');
  });
});
