import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterEach, describe, expect, test } from 'vitest';
import { ParquetPredictionLog } from '../../../src/prediction-log/parquet-log.ts';
import type { PredictionLog, PredictionRecord } from '../../../src/prediction-log/port.ts';

const dirs: string[] = [];
const tempDir = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'rudder-plog-'));
  dirs.push(d);
  return d;
};
afterEach(() => {
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});

const T0 = Date.parse('2026-06-01T23:59:58.000Z');
const rec = (i: number, over: Partial<PredictionRecord> = {}): PredictionRecord => ({
  requestId: `r${String(i).padStart(6, '0')}`,
  at: new Date(T0 + i * 10).toISOString(),
  model: 'churn',
  version: 1 + (i % 2),
  entity: { customer_id: `c${i}` },
  features: { 'customers:tenure': i, 'customers:plan': 'pro', 'customers:missing': null },
  score: i / 1000,
  latencyMs: 0.5,
  ...over,
});

/** The PredictionLog contract, run against the Parquet adapter (any adapter must pass it). */
function contract(open: (dir: string) => PredictionLog): void {
  test('appends are readable by window and version, with every field as written', async () => {
    const log = open(tempDir());
    const rows = Array.from({ length: 400 }, (_, i) =>
      rec(i, i === 7 ? { score: null, error: 'model threw' } : {}),
    );
    await log.append(rows);
    await log.flush();
    const all = await log.readPredictions({ model: 'churn', from: new Date(T0), to: new Date(T0 + 4000) });
    expect(all).toEqual(rows);
    const v2 = await log.readPredictions({
      model: 'churn',
      from: new Date(T0),
      to: new Date(T0 + 1000),
      version: 2,
    });
    expect(v2.map((r) => r.requestId)).toEqual(
      rows.filter((r) => r.version === 2 && Date.parse(r.at) < T0 + 1000).map((r) => r.requestId),
    );
    expect(
      await log.readPredictions({ model: 'other', from: new Date(T0), to: new Date(T0 + 4000) }),
    ).toEqual([]);
    await log.close();
  });

  test('labels round-trip and keep their type', async () => {
    const log = open(tempDir());
    await log.appendLabels([
      { at: new Date(T0).toISOString(), model: 'churn', entity: { customer_id: 'c1' }, label: true },
      { at: new Date(T0 + 1).toISOString(), model: 'churn', entity: { customer_id: 2 }, label: 'yes' },
      { at: new Date(T0 + 2).toISOString(), model: 'churn', entity: { customer_id: 3 }, label: 0.5 },
    ]);
    await log.close();
    const again = open(dirs.at(-1)!);
    const labels = await again.readLabels({ model: 'churn', from: new Date(T0), to: new Date(T0 + 10) });
    expect(labels.map((l) => l.label)).toEqual([true, 'yes', 0.5]);
    expect(labels[1]!.entity).toEqual({ customer_id: 2 });
    await again.close();
  });

  test('close() makes every buffered prediction durable: nothing is lost on a clean shutdown', async () => {
    const dir = tempDir();
    const log = open(dir);
    const rows = Array.from({ length: 1234 }, (_, i) => rec(i));
    for (const r of rows) await log.append([r]);
    await log.close();
    const reader = open(dir);
    const back = await reader.readPredictions({ model: 'churn', from: new Date(T0), to: new Date(T0 + 1e6) });
    expect(back.length).toBe(1234);
    expect(new Set(back.map((r) => r.requestId)).size).toBe(1234);
    await reader.close();
  });
}

describe('ParquetPredictionLog', () => {
  contract((dir) => new ParquetPredictionLog({ dir, flushIntervalMs: 60_000 }));

  test('rows are partitioned by model and day (hive layout) in Parquet files other tools read', async () => {
    const dir = tempDir();
    const log = new ParquetPredictionLog({ dir });
    await log.append(Array.from({ length: 400 }, (_, i) => rec(i))); // crosses midnight
    await log.close();
    expect(readdirSync(join(dir, 'predictions', 'model=churn')).sort()).toEqual([
      'date=2026-06-01',
      'date=2026-06-02',
    ]);
    expect(
      readdirSync(join(dir, 'predictions', 'model=churn', 'date=2026-06-02')).every((f) =>
        /^part-.*\.parquet$/.test(f),
      ),
    ).toBe(true);
  });

  test('memory is bounded: append waits for a flush above maxBuffered', async () => {
    const log = new ParquetPredictionLog({
      dir: tempDir(),
      batchSize: 1e9,
      maxBuffered: 100,
      flushIntervalMs: 60_000,
    });
    for (let i = 0; i < 250; i++) {
      await log.append([rec(i)]);
      expect(log.buffered).toBeLessThan(100);
    }
    await log.close();
    expect(log.written).toBe(250);
  });

  test('many small flushes are merged so a partition keeps few files, and no row is lost or doubled', async () => {
    const dir = tempDir();
    const log = new ParquetPredictionLog({ dir, compactAt: 4, flushIntervalMs: 60_000 });
    for (let i = 0; i < 20; i++) {
      await log.append([rec(i)]);
      await log.flush();
    }
    const files = readdirSync(join(dir, 'predictions', 'model=churn', 'date=2026-06-01'));
    expect(files.length).toBeLessThanOrEqual(5);
    const back = await log.readPredictions({ model: 'churn', from: new Date(T0), to: new Date(T0 + 1e6) });
    expect(back.map((r) => r.requestId)).toEqual(Array.from({ length: 20 }, (_, i) => rec(i).requestId));
    await log.close();
  });

  test('unflushed rows of this process are read too', async () => {
    const log = new ParquetPredictionLog({ dir: tempDir(), flushIntervalMs: 60_000 });
    await log.append([rec(1)]);
    expect(
      await log.readPredictions({ model: 'churn', from: new Date(T0), to: new Date(T0 + 100) }),
    ).toHaveLength(1);
    await log.close();
  });

  test('a flush that fails part-way keeps the unwritten rows and never writes a written one twice', async () => {
    const dir = tempDir();
    const log = new ParquetPredictionLog({ dir, flushIntervalMs: 1e9 });
    await log.append(Array.from({ length: 30 }, (_, i) => rec(i, { model: 'a' })));
    await log.append(Array.from({ length: 20 }, (_, i) => rec(100 + i, { model: 'b' })));
    // Model b's partition cannot be created: a file stands where its folder goes.
    mkdirSync(join(dir, 'predictions'), { recursive: true });
    writeFileSync(join(dir, 'predictions', 'model=b'), 'in the way');
    await expect(log.flush()).rejects.toThrow();
    expect(log.buffered).toBe(20); // a's rows are durable, b's wait
    rmSync(join(dir, 'predictions', 'model=b'));
    await log.flush();
    const window = { from: new Date(T0), to: new Date(T0 + 1e9) };
    const a = await log.readPredictions({ model: 'a', ...window });
    const b = await log.readPredictions({ model: 'b', ...window });
    expect(a.map((r) => r.requestId)).toEqual(Array.from({ length: 30 }, (_, i) => rec(i).requestId));
    expect(b.map((r) => r.requestId)).toEqual(Array.from({ length: 20 }, (_, i) => rec(100 + i).requestId));
    await log.close();
  });

  test("the champion's shadow score round-trips, flushed and unflushed", async () => {
    const dir = tempDir();
    const log = new ParquetPredictionLog({ dir, flushIntervalMs: 60_000 });
    const rows = [
      rec(1, { shadow: { version: 1, score: 0.25 } }),
      rec(2),
      rec(3, { shadow: { version: 1, score: 0.75 } }),
    ];
    await log.append(rows);
    const window = { model: 'churn', from: new Date(T0), to: new Date(T0 + 1000) };
    expect(await log.readPredictions(window)).toEqual(rows); // buffered
    await log.flush();
    expect(await log.readPredictions(window)).toEqual(rows); // from the segment
    await log.close();
  });

  test('segments written before the shadow columns existed read as rows without a shadow score', async () => {
    const dir = tempDir();
    const part = join(dir, 'predictions', 'model=churn', 'date=2026-06-01');
    mkdirSync(part, { recursive: true });
    // A segment in the old format: exactly the columns the log wrote before shadow scoring.
    const db = await DuckDBInstance.create(':memory:');
    const conn = await db.connect();
    await conn.run(`SET TimeZone = 'UTC'`);
    await conn.run(
      `COPY (SELECT 'old1' AS request_id, make_timestamptz(${T0 * 1000}::BIGINT) AS "at", 'churn' AS model, 2::INTEGER AS version,
         '{"customer_id":"c1"}' AS entity, '{}' AS features, 0.4::DOUBLE AS score, 1.5::DOUBLE AS latency_ms, NULL::VARCHAR AS error)
       TO '${join(part, 'part-1-1-000000.parquet')}' (FORMAT parquet)`,
    );
    conn.closeSync();
    db.closeSync();
    const window = { model: 'churn', from: new Date(T0), to: new Date(T0 + 1000) };
    const oldOnly = new ParquetPredictionLog({ dir, flushIntervalMs: 60_000 });
    const [old] = await oldOnly.readPredictions(window);
    expect(old).toEqual({
      requestId: 'old1',
      at: new Date(T0).toISOString(),
      model: 'churn',
      version: 2,
      entity: { customer_id: 'c1' },
      features: {},
      score: 0.4,
      latencyMs: 1.5,
    });
    // Old and new segments side by side (and merged by compaction): the new row keeps its shadow.
    await oldOnly.append([rec(5, { shadow: { version: 1, score: 0.9 } })]);
    await oldOnly.close();
    const reader = new ParquetPredictionLog({ dir, flushIntervalMs: 60_000, compactAt: 1 });
    const both = await reader.readPredictions(window);
    expect(both.map((r) => [r.requestId, r.shadow?.score])).toEqual([
      ['old1', undefined],
      [rec(5).requestId, 0.9],
    ]);
    await reader.close();
  });

  test('a model name that could escape the log folder is refused', async () => {
    const log = new ParquetPredictionLog({ dir: tempDir() });
    await expect(log.append([rec(1, { model: '../x' })])).rejects.toThrow(/cannot name a log partition/);
    await log.close();
  });

  test('SIGTERM: a process that closes the log on SIGTERM loses no prediction', async () => {
    const dir = tempDir();
    const script = `
      import { ParquetPredictionLog } from ${JSON.stringify(new URL('../../../src/prediction-log/parquet-log.ts', import.meta.url).pathname)};
      const log = new ParquetPredictionLog({ dir: ${JSON.stringify(dir)}, flushIntervalMs: 60000, batchSize: 1e9 });
      process.on('SIGTERM', () => { log.close().then(() => process.exit(0)); });
      let i = 0;
      const T0 = ${T0};
      const tick = () => { for (let k = 0; k < 50; k++, i++) log.append([{ requestId: 'r' + i, at: new Date(T0 + i).toISOString(), model: 'churn', version: 1, entity: { id: i }, features: {}, score: 0.5, latencyMs: 1 }]);
        if (i === 500) process.stdout.write('ready\\n'); setTimeout(tick, 1); };
      tick();`;
    const out = execFileSync(
      'bash',
      [
        '-c',
        `node --import tsx -e "$SCRIPT" > ${dir}/out.txt & pid=$!; for k in $(seq 100); do grep -q ready ${dir}/out.txt 2>/dev/null && break; sleep 0.1; done; kill -TERM $pid; wait $pid; echo exit=$?`,
      ],
      { env: { ...process.env, SCRIPT: script }, encoding: 'utf8' },
    );
    expect(out).toContain('exit=0');
    const reader = new ParquetPredictionLog({ dir });
    const back = await reader.readPredictions({ model: 'churn', from: new Date(T0), to: new Date(T0 + 1e9) });
    await reader.close();
    expect(back.length).toBeGreaterThanOrEqual(500);
    // Contiguous ids: every prediction appended before the signal was written.
    expect(back.map((r) => r.requestId)).toEqual(Array.from({ length: back.length }, (_, i) => `r${i}`));
  });
});
