import { fc, test } from '@fast-check/vitest';
import { describe, expect } from 'vitest';
import { stringify } from 'yaml';
import { compilePolicies } from '../../src/compiler/compile.ts';
import { diagnosticCodes } from '../../src/diagnostics/codes.ts';
import { parseDocuments } from '../../src/source/parse-documents.ts';
import type { SourceDoc } from '../../src/source/source-doc.ts';
import { arbPolicySet } from '../helpers/arb-policies.ts';

const enc = new TextEncoder();

function filesToDocs(files: string[][]): SourceDoc[] {
  return files.flatMap(
    (docs, i) => parseDocuments(`policies/f${i}.yaml`, enc.encode(docs.join('---\n'))).docs,
  );
}

/** Split a list into `k` consecutive chunks at the given cut points. */
function partition<T>(xs: T[], cuts: number[]): T[][] {
  const points = [...new Set(cuts.map((c) => c % (xs.length + 1)))].sort((a, b) => a - b);
  const out: T[][] = [];
  let prev = 0;
  for (const p of [...points, xs.length]) {
    if (p > prev) out.push(xs.slice(prev, p));
    prev = p;
  }
  return out;
}

describe('compiler properties', () => {
  test.prop([fc.string({ maxLength: 400 })])(
    'arbitrary text never crashes the loader: documents, or diagnostics that name the file and a known code',
    (text) => {
      const r = parseDocuments('p.yaml', enc.encode(text));
      for (const d of r.diagnostics) {
        expect(d.file).toBe('p.yaml');
        expect(Object.keys(diagnosticCodes)).toContain(d.code);
      }
      for (const doc of r.docs) {
        const c = compilePolicies({ projectDocs: [], docs: [doc] });
        // Compiled, or refused with at least one error that names a known code.
        expect(c.ok || c.diagnostics.some((d) => d.severity === 'error' && d.code in diagnosticCodes)).toBe(
          true,
        );
      }
    },
  );

  test.prop([fc.array(fc.jsonValue({ maxDepth: 4 }), { maxLength: 4 })])(
    'arbitrary YAML documents validate or produce diagnostics',
    (values) => {
      const text = values.map((v) => stringify(v)).join('---\n');
      const parsed = parseDocuments('p.yaml', enc.encode(text));
      const r = compilePolicies({ projectDocs: [], docs: parsed.docs });
      if (!r.ok) expect(r.diagnostics.some((d) => d.severity === 'error')).toBe(true);
    },
  );

  test.prop([arbPolicySet, fc.nat(), fc.jsonValue({ maxDepth: 2 })])(
    'mutated valid documents never crash the compiler',
    (docs, at, junk) => {
      // Replace one field somewhere with junk: the compiler must answer with diagnostics, not throw.
      const d = structuredClone(docs);
      const target = d[at % d.length]!;
      const spec = target.spec as Record<string, unknown>;
      const keys = Object.keys(spec);
      spec[keys[at % keys.length]!] = junk;
      const r = compilePolicies({ projectDocs: [], docs: filesToDocs([d.map((x) => stringify(x))]) });
      expect(r.ok || r.diagnostics.length > 0).toBe(true);
    },
  );

  test.prop([arbPolicySet, fc.array(fc.nat(), { maxLength: 4 }), fc.array(fc.nat(), { maxLength: 4 })])(
    'document and file order do not change the compiled state or digests',
    (docs, cutsA, cutsB) => {
      const texts = docs.map((d) => stringify(d));
      const a = compilePolicies({ projectDocs: [], docs: filesToDocs(partition(texts, cutsA)) });
      const shuffled = [...texts].reverse();
      const b = compilePolicies({ projectDocs: [], docs: filesToDocs(partition(shuffled, cutsB)).reverse() });
      expect(a.ok).toBe(true);
      expect(b.ok).toBe(true);
      if (!a.ok || !b.ok) return;
      const strip = (s: typeof a.value) =>
        JSON.stringify(s, (k, v: unknown) => (k === 'origin' ? undefined : v));
      expect(strip(b.value)).toBe(strip(a.value));
      expect(b.value.digest).toBe(a.value.digest);
    },
  );
});
