import { existsSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, test } from 'vitest';
import { StoreError } from '../../../src/store/port.ts';
import { csvToParquet, type Repo, tempRepo } from './store-helpers.ts';

const policies = (source: string) => `apiVersion: rudder.dev/v1alpha1
kind: FeatureView
metadata: { name: v }
spec:
  source: { path: "${source}", timestamp: ts }
  entities: [id]
  features: [{ name: x, type: float }, { name: n, type: int }]
---
apiVersion: rudder.dev/v1alpha1
kind: Model
metadata: { name: m }
spec:
  task: binary-classification
  label: { source: { path: data/labels.csv, timestamp: ts }, entities: [id], column: y, classes: [0, 1] }
  features: [v:x, v:n]
  trainer: { type: tfjs }
`;

const LABELS = 'id,ts,y\na,2026-01-02T00:00:00Z,1\nb,2026-01-03T00:00:00Z,0\n';
const GOOD = 'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\nb,2026-01-01T00:00:00Z,2.5,2\n';

describe('bad input is refused with file, column and first offending row, and no output file', () => {
  let repo: Repo;
  beforeEach(() => {
    repo = tempRepo();
    repo.write('data/labels.csv', LABELS);
    repo.write('policies.yaml', policies('data/v.csv'));
  });
  afterEach(() => repo.cleanup());

  async function build(threads = 1): Promise<StoreError> {
    const state = repo.state();
    const store = await repo.open({ threads });
    try {
      await store.buildTrainingSet({
        model: state.models[0]!,
        views: state.featureViews,
        outPath: join(repo.root, 'out', 'ts.parquet'),
      });
    } catch (e) {
      if (!(e instanceof StoreError)) throw e;
      // Nothing half-written: no output, no temporary file.
      const out = join(repo.root, 'out');
      expect(existsSync(out) ? readdirSync(out) : []).toEqual([]);
      return e;
    } finally {
      await store.close();
    }
    throw new Error('expected a StoreError');
  }

  test('a bad value deep in a large CSV is reported at its true row (rows are read in parallel)', async () => {
    // Large enough that DuckDB splits the read across threads: row numbers must still be file order.
    const lines = ['id,ts,x,n'];
    for (let i = 1; i <= 300_000; i++)
      lines.push(`e${i},2026-01-01T00:00:00Z,${i}.5,${i === 287_654 ? 'oops' : i}`);
    repo.write('data/v.csv', `${lines.join('\n')}\n`);
    const e = await build(4);
    expect(e.message).toBe(
      'data/v.csv: row 287654, column "n": the value is not an integer (feature view "v" reads it as int)',
    );
  });

  test('a missing file', async () => {
    const e = await build();
    expect(e.code).toBe('store/no-files');
    expect(e.message).toContain('data/v.csv: no such file');
  });

  test('a glob that matches nothing', async () => {
    repo.write('policies.yaml', policies('data/parts/*.csv'));
    const e = await build();
    expect(e.code).toBe('store/no-files');
    expect(e.message).toContain('data/parts/*.csv: the glob matches no file');
  });

  test('a timestamp column holding something else', async () => {
    repo.write('data/v.csv', 'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\nb,yesterday,2.5,2\n');
    const e = await build();
    expect(e.code).toBe('store/not-a-timestamp');
    expect(e.where).toEqual({ file: 'data/v.csv', column: 'ts', row: 2 });
    expect(e.message).toMatch(/^data\/v\.csv: row 2, column "ts": the value is not a timestamp/);
  });

  test('a Parquet timestamp column of integers', async () => {
    repo.write('data/v.csv', GOOD);
    await csvToParquet(
      repo.root,
      'data/v.csv',
      'data/v.parquet',
      `id, CAST(epoch(CAST(ts AS TIMESTAMPTZ)) AS BIGINT) AS ts, CAST(x AS DOUBLE) AS x, CAST(n AS INTEGER) AS n`,
    );
    repo.write('policies.yaml', policies('data/v.parquet'));
    const e = await build();
    expect(e.code).toBe('store/not-a-timestamp');
    expect(e.message).toContain('data/v.parquet: column "ts" is BIGINT, not a timestamp');
  });

  test('mixed time zones in one column', async () => {
    repo.write(
      'data/v.csv',
      'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\nb,2026-01-01T00:00:00+02:00,2.5,2\nc,2026-01-01 08:00:00,3.5,3\n',
    );
    const e = await build();
    expect(e.code).toBe('store/mixed-time-zones');
    expect(e.where).toEqual({ file: 'data/v.csv', column: 'ts', row: 3 });
  });

  test('mixed time zones across Parquet files of one glob', async () => {
    repo.write('data/a.csv', 'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\n');
    repo.write('data/b.csv', 'id,ts,x,n\nb,2026-01-01T00:00:00Z,2.5,2\n');
    await csvToParquet(
      repo.root,
      'data/a.csv',
      'data/p/a.parquet',
      `id, CAST(ts AS TIMESTAMPTZ) AS ts, CAST(x AS DOUBLE) AS x, CAST(n AS INTEGER) AS n`,
    );
    await csvToParquet(
      repo.root,
      'data/b.csv',
      'data/p/b.parquet',
      `id, CAST(CAST(ts AS TIMESTAMPTZ) AS TIMESTAMP) AS ts, CAST(x AS DOUBLE) AS x, CAST(n AS INTEGER) AS n`,
    );
    repo.write('policies.yaml', policies('data/p/*.parquet'));
    const e = await build();
    expect(e.code).toBe('store/mixed-time-zones');
    expect(e.message).toContain(
      'data/p/b.parquet: column "ts" is TIMESTAMP but data/p/a.parquet stores it with a time zone',
    );
  });

  test('two rows for one entity at one instant', async () => {
    repo.write(
      'data/v.csv',
      'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\nb,2026-01-01T00:00:00Z,2.5,2\na,2026-01-01T00:00:00Z,9.5,9\n',
    );
    const e = await build();
    expect(e.code).toBe('store/duplicate-row');
    expect(e.message).toContain('data/v.csv: rows 1 and 3 have the same "id", "ts"');
    expect(e.where.row).toBe(3);
  });

  test('duplicates split across the files of a glob name both files', async () => {
    repo.write('data/parts/1.csv', GOOD);
    repo.write('data/parts/2.csv', 'id,ts,x,n\nb,2026-01-01T00:00:00Z,7.5,7\n');
    repo.write('policies.yaml', policies('data/parts/*.csv'));
    const e = await build();
    expect(e.code).toBe('store/duplicate-row');
    expect(e.message).toContain('data/parts/1.csv row 2 and data/parts/2.csv row 1');
  });

  test.each([
    ['NaN', 'the value is NaN'],
    ['inf', 'the value is infinite'],
    ['-Infinity', 'the value is infinite'],
  ])('a float value %s', async (value, problem) => {
    repo.write('data/v.csv', `id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\nb,2026-01-01T00:00:00Z,${value},2\n`);
    const e = await build();
    expect(e.code).toBe('store/not-finite');
    expect(e.message).toBe(`data/v.csv: row 2, column "x": ${problem} (feature view "v" reads it as float)`);
  });

  test('NaN in a Parquet double column', async () => {
    repo.write('data/v.csv', 'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\nb,2026-01-01T00:00:00Z,NaN,2\n');
    await csvToParquet(
      repo.root,
      'data/v.csv',
      'data/v.parquet',
      `id, CAST(ts AS TIMESTAMPTZ) AS ts, CAST(x AS DOUBLE) AS x, CAST(n AS INTEGER) AS n`,
    );
    repo.write('policies.yaml', policies('data/v.parquet'));
    const e = await build();
    expect(e.where).toEqual({ file: 'data/v.parquet', column: 'x', row: 2 });
  });

  test('a value that is not of the declared type', async () => {
    repo.write('data/v.csv', 'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\nb,2026-01-01T00:00:00Z,2.5,2.5\n');
    const e = await build();
    expect(e.code).toBe('store/wrong-type');
    expect(e.where).toEqual({ file: 'data/v.csv', column: 'n', row: 2 });
    expect(e.message).toContain('not an integer');
  });

  test('a Parquet column whose type contradicts the declaration', async () => {
    repo.write('data/v.csv', GOOD);
    await csvToParquet(
      repo.root,
      'data/v.csv',
      'data/v.parquet',
      `id, CAST(ts AS TIMESTAMPTZ) AS ts, CAST(x AS DOUBLE) AS x, CAST(x AS DOUBLE) AS n`,
    );
    repo.write('policies.yaml', policies('data/v.parquet'));
    const e = await build();
    expect(e.code).toBe('store/wrong-type');
    expect(e.message).toBe('data/v.parquet: column "n" is DOUBLE, but feature view "v" declares it int');
  });

  test('a missing column', async () => {
    repo.write('data/v.csv', 'id,ts,x,count\na,2026-01-01T00:00:00Z,1.5,1\n');
    const e = await build();
    expect(e.code).toBe('store/missing-column');
    expect(e.message).toContain('data/v.csv: no column "n"');
    expect(e.message).toContain('columns: id, ts, x, count');
  });

  test('an empty entity key', async () => {
    repo.write('data/v.csv', 'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\n,2026-01-01T00:00:00Z,2.5,2\n');
    const e = await build();
    expect(e.code).toBe('store/empty-key');
    expect(e.where).toEqual({ file: 'data/v.csv', column: 'id', row: 2 });
  });

  test('a label source that shares no entity with a view', async () => {
    repo.write('data/v.csv', 'id,ts,x,n\nA,2026-01-01T00:00:00Z,1.5,1\nB,2026-01-01T00:00:00Z,2.5,2\n');
    const e = await build();
    expect(e.code).toBe('store/no-matching-entities');
    expect(e.message).toContain('data/labels.csv: no label row\'s "id" appears in feature view "v"');
  });

  test('a label outside the declared classes', async () => {
    repo.write('data/v.csv', GOOD);
    repo.write('data/labels.csv', 'id,ts,y\na,2026-01-02T00:00:00Z,1\nb,2026-01-03T00:00:00Z,2\n');
    const e = await build();
    expect(e.code).toBe('store/bad-label');
    expect(e.where).toEqual({ file: 'data/labels.csv', column: 'y', row: 2 });
  });

  test('a corrupt Parquet file', async () => {
    repo.write('data/v.csv', GOOD);
    await csvToParquet(
      repo.root,
      'data/v.csv',
      'data/v.parquet',
      `id, CAST(ts AS TIMESTAMPTZ) AS ts, CAST(x AS DOUBLE) AS x, CAST(n AS INTEGER) AS n`,
    );
    writeFileSync(join(repo.root, 'data/v.parquet'), 'PAR1 this is not parquet at all');
    repo.write('policies.yaml', policies('data/v.parquet'));
    const e = await build();
    expect(e.code).toBe('store/corrupt-file');
    expect(e.message).toMatch(/^data\/v\.parquet: not a readable Parquet file/);
  });

  test('a CSV row with too many fields', async () => {
    repo.write('data/v.csv', 'id,ts,x,n\na,2026-01-01T00:00:00Z,1.5,1\nb,2026-01-01T00:00:00Z,2.5,2,extra\n');
    const e = await build();
    expect(e.code).toBe('store/read-failed');
    expect(e.message).toMatch(
      /^data\/v\.csv: cannot be read at line 3 \(row 2\): expected 4 fields, found 5/,
    );
    expect(e.message).not.toContain('extra');
  });

  test('an existing output file is left untouched when the build fails', async () => {
    repo.write('data/v.csv', 'id,ts,x,n\na,2026-01-01T00:00:00Z,NaN,1\n');
    repo.write('out/keep.txt', 'x');
    const state = repo.state();
    const store = await repo.open();
    try {
      await expect(
        store.buildTrainingSet({
          model: state.models[0]!,
          views: state.featureViews,
          outPath: join(repo.root, 'out/keep.txt'),
        }),
      ).rejects.toThrow(/NaN/);
      expect(readdirSync(join(repo.root, 'out'))).toEqual(['keep.txt']);
    } finally {
      await store.close();
    }
  });
});
