import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { PendingLines } from '../../../src/prediction-log/pending-lines.ts';

const decode = (p: PendingLines): Map<string, string[]> =>
  new Map([...p.partitions()].map(([k, { bytes }]) => [k, bytes.toString('utf8').split('\n').slice(0, -1)]));

describe('PendingLines: rows waiting for a flush, as bytes off the heap', () => {
  test('any lines, any partitions: each partition reads back its lines in order, byte for byte', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.constantFrom('a', 'b', 'c'),
            // JSON lines never hold a raw newline; anything else goes, astral planes included.
            fc.string({ unit: 'grapheme', maxLength: 40 }).map((s) => JSON.stringify(s)),
          ),
          { maxLength: 200 },
        ),
        (pushes) => {
          const p = new PendingLines();
          for (const [k, l] of pushes) p.push(k, l);
          const want = new Map<string, string[]>();
          for (const [k, l] of pushes) want.set(k, [...(want.get(k) ?? []), l]);
          expect(decode(p)).toEqual(want);
          expect(p.rows).toBe(pushes.length);
        },
      ),
    );
  });

  test('lines longer than a chunk, and many chunks', () => {
    const p = new PendingLines();
    const long = JSON.stringify('é'.repeat(300_000));
    p.push('m', '"first"');
    p.push('m', long);
    for (let i = 0; i < 5000; i++) p.push('m', JSON.stringify({ i, pad: 'x'.repeat(100) }));
    const lines = decode(p).get('m')!;
    expect(lines).toHaveLength(5002);
    expect(lines[1]).toBe(long);
    expect(JSON.parse(lines[5001]!)).toEqual({ i: 4999, pad: 'x'.repeat(100) });
  });

  test('take empties it; restore after a failed flush puts the taken rows ahead of newer ones', () => {
    const p = new PendingLines();
    p.push('m', '1');
    p.push('n', '2');
    const taken = p.take();
    expect(p.rows).toBe(0);
    expect(taken.rows).toBe(2);
    p.push('m', '3');
    p.restore(taken);
    expect(p.rows).toBe(3);
    expect(decode(p)).toEqual(
      new Map([
        ['m', ['1', '3']],
        ['n', ['2']],
      ]),
    );
    expect(p.lines().sort()).toEqual(['1', '2', '3']);
  });
});
