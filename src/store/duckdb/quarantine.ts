// Quarantine records in the store database. The rows themselves stay in the source files; a
// quarantine holds their identity (file, row, entity keys, event time) — never their values —
// and every read of the source (training sets, the online table) leaves them out until released.
import { BIGINT, LIST, listValue, VARCHAR } from '@duckdb/node-api';
import type { Detector } from '../../compiler/desired-state.ts';
import { canonicalJson, digestOf, sha256Hex } from '../../util/canonical.ts';
import { type QuarantineRecord, type ReleaseResult, StoreError } from '../port.ts';
import type { Hit } from '../pii/scan.ts';
import { type Db, num } from './sql.ts';

export async function ensureStoreTables(db: Db): Promise<void> {
  await db.run(`CREATE TABLE IF NOT EXISTS rudder_quarantine (
    id VARCHAR PRIMARY KEY, policy VARCHAR NOT NULL, view VARCHAR NOT NULL, file VARCHAR NOT NULL, "column" VARCHAR NOT NULL,
    detector VARCHAR NOT NULL, rows BIGINT NOT NULL, digest VARCHAR NOT NULL, status VARCHAR NOT NULL,
    created_at TIMESTAMPTZ, released_at TIMESTAMPTZ)`);
  await db.run(
    `CREATE TABLE IF NOT EXISTS rudder_quarantine_rows (id VARCHAR NOT NULL, "row" BIGINT NOT NULL, entity VARCHAR NOT NULL, event_ts VARCHAR NOT NULL)`,
  );
  await db.run(`CREATE TABLE IF NOT EXISTS rudder_online_meta (
    view VARCHAR PRIMARY KEY, view_digest VARCHAR NOT NULL, watermark TIMESTAMPTZ, rows BIGINT NOT NULL, source_digest VARCHAR NOT NULL, updated_at TIMESTAMPTZ)`);
}

/** Identity of the quarantined rows of one policy, view, file, column and detector. */
export function quarantineOf(
  policy: string,
  view: string,
  file: string,
  column: string,
  detector: Detector,
  hits: readonly Hit[],
): Omit<QuarantineRecord, 'status'> {
  const keys = hits
    .map((h) => [h.key, h.ts])
    .sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : a[1]! > b[1]! ? 1 : 0));
  const digest = digestOf(keys);
  const id = `q-${sha256Hex(canonicalJson({ policy, view, file, column, detector, digest })).slice(0, 12)}`;
  return { id, policy, view, file, column, detector, rows: hits.length, digest };
}

export class QuarantineBook {
  constructor(
    private readonly db: Db,
    /** Ids released elsewhere (the data lock of a fresh checkout). */
    private readonly releasedElsewhere: ReadonlySet<string>,
    private readonly clock: () => Date,
  ) {}

  async isReleased(id: string): Promise<boolean> {
    if (this.releasedElsewhere.has(id)) return true;
    const r = await this.db.all(`SELECT status FROM rudder_quarantine WHERE id = $1`, [id]);
    return r[0]?.status === 'released';
  }

  /** Record a quarantine (idempotent: the id names its exact rows). */
  async record(q: Omit<QuarantineRecord, 'status'>, hits: readonly Hit[]): Promise<QuarantineRecord> {
    const status: QuarantineRecord['status'] = (await this.isReleased(q.id)) ? 'released' : 'active';
    const exists = await this.db.all(`SELECT 1 FROM rudder_quarantine WHERE id = $1`, [q.id]);
    if (exists.length === 0) {
      await this.db.run(
        `INSERT INTO rudder_quarantine VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::TIMESTAMPTZ, CASE WHEN $9 = 'released' THEN $10::TIMESTAMPTZ END)`,
        [
          q.id,
          q.policy,
          q.view,
          q.file,
          q.column,
          q.detector,
          q.rows,
          q.digest,
          status,
          this.clock().toISOString(),
        ],
      );
      await this.db.run(
        `INSERT INTO rudder_quarantine_rows SELECT $1, unnest($2), unnest($3), unnest($4)`,
        [
          q.id,
          listValue(hits.map((h) => BigInt(h.row))),
          listValue(hits.map((h) => h.key)),
          listValue(hits.map((h) => h.ts)),
        ],
        [VARCHAR, LIST(BIGINT), LIST(VARCHAR), LIST(VARCHAR)],
      );
    }
    return { ...q, status };
  }

  async release(id: string): Promise<ReleaseResult> {
    const rows = await this.db.all(`SELECT * FROM rudder_quarantine WHERE id = $1`, [id]);
    if (rows.length === 0) {
      const known = (
        await this.db.all(`SELECT id FROM rudder_quarantine WHERE status = 'active' ORDER BY id LIMIT 10`)
      ).map((r) => String(r.id));
      throw new StoreError(
        'store/unknown-quarantine',
        `no quarantine ${JSON.stringify(id)} in this store${known.length ? ` (active: ${known.join(', ')})` : ' (none is active)'}`,
      );
    }
    const changed = rows[0]!.status !== 'released';
    if (changed)
      await this.db.run(
        `UPDATE rudder_quarantine SET status = 'released', released_at = $2::TIMESTAMPTZ WHERE id = $1`,
        [id, this.clock().toISOString()],
      );
    return { record: toRecord({ ...rows[0]!, status: 'released' }), changed };
  }

  async list(): Promise<QuarantineRecord[]> {
    const rows = await this.db.all(`SELECT * FROM rudder_quarantine ORDER BY id`);
    return rows.map((r) =>
      toRecord(this.releasedElsewhere.has(String(r.id)) ? { ...r, status: 'released' } : r),
    );
  }
}

function toRecord(r: Record<string, unknown>): QuarantineRecord {
  return {
    id: String(r.id),
    policy: String(r.policy),
    view: String(r.view),
    file: String(r.file),
    column: String(r.column),
    detector: String(r.detector) as Detector,
    rows: num(r.rows),
    digest: String(r.digest),
    status: r.status === 'released' ? 'released' : 'active',
  };
}
