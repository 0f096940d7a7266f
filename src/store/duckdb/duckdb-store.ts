// The embedded feature store: one DuckDB database file (`.rudder/store.duckdb` by default)
// holding the online tables and quarantine records; sources are read from the repository's
// CSV/Parquet files on every operation, so the files stay the single source of truth.
import { mkdir } from 'node:fs/promises';
import { dirname, isAbsolute, join } from 'node:path';
import PQueue from 'p-queue';
import type { DataPolicy, FeatureView, Model, SourceSpec } from '../../compiler/desired-state.ts';
import type {
  DataPolicyStore,
  FeatureStore,
  LabelFreshness,
  OnlineStore,
  MaterializeResult,
  OnlineRow,
  PiiFinding,
  PiiScanResult,
  PiiViewScan,
  QuarantineRecord,
  ReleaseResult,
  TrainingSet,
  TrainingSetRequest,
  ViewFreshness,
} from '../port.ts';
import { StoreError } from '../port.ts';
import { loadSalt } from '../salt.ts';
import { digestFiles, resolveSource, type SourceFile } from './files.ts';
import { labelFreshness } from './label-freshness.ts';
import { materializeView, onlineTable, readOnlineRows, viewFreshness, type OnlineContext } from './online.ts';
import { enforcePolicies, labelPoliciesFor } from './policies.ts';
import { ensureStoreTables, QuarantineBook } from './quarantine.ts';
import { Db, duckMessage, isoOf, num } from './sql.ts';
import { type Staged, type StageRequest, stageSource } from './stage.ts';
import { buildTrainingSet, type TrainingContext } from './training-set.ts';

export const DEFAULT_STORE_PATH = '.rudder/store.duckdb';

const SCAN_TABLE = '__rudder_scan';

interface ScanTarget {
  /** The view, or `label:<model>`. */
  name: string;
  stage(): Promise<{ staged: Staged; files: SourceFile[] }>;
}

export interface DuckDBStoreOptions {
  /** Repository root: source paths are relative to it. */
  root: string;
  /** Database file, relative to `root` (or absolute, or `:memory:`). Default: `.rudder/store.duckdb`. */
  path?: string;
  /** Data policies to enforce on every read (training sets, materialization). */
  policies?: readonly DataPolicy[];
  /** Models, for policies that also scan label sources (`scope.labels`). */
  models?: readonly Model[];
  /** Quarantine ids released in the data lock (a fresh checkout has no local record of them). */
  releasedQuarantines?: Iterable<string>;
  clock?: () => Date;
  /** Where the hash salt comes from (RUDDER_PII_SALT). Default: process.env */
  env?: NodeJS.ProcessEnv;
  /** DuckDB worker threads. Default: all cores. */
  threads?: number;
}

export class DuckDBFeatureStore implements FeatureStore, DataPolicyStore, OnlineStore {
  /**
   * Every operation runs alone, in call order: they share one connection and the names of their
   * temporary tables. A failed operation does not stop the ones queued behind it.
   */
  private readonly queue = new PQueue({ concurrency: 1 });
  private salt?: Promise<string>;
  private closing?: Promise<void>;

  private constructor(
    private readonly db: Db,
    private readonly opts: DuckDBStoreOptions,
    private readonly book: QuarantineBook,
  ) {}

  static async open(opts: DuckDBStoreOptions): Promise<DuckDBFeatureStore> {
    const rel = opts.path ?? DEFAULT_STORE_PATH;
    const path = rel === ':memory:' ? rel : isAbsolute(rel) ? rel : join(opts.root, rel);
    if (path !== ':memory:') await mkdir(dirname(path), { recursive: true });
    let db: Db;
    try {
      db = await Db.open(path, opts.threads);
    } catch (e) {
      const msg = duckMessage(e);
      const locked = /lock/i.test(msg);
      throw new StoreError(
        locked ? 'store/locked' : 'store/read-failed',
        `${rel}: ${locked ? 'the feature store is in use by another process' : 'cannot open the feature store'} (${msg})`,
        { file: rel },
        { cause: e },
      );
    }
    await ensureStoreTables(db);
    const clock = opts.clock ?? (() => new Date());
    return new DuckDBFeatureStore(
      db,
      opts,
      new QuarantineBook(db, new Set(opts.releasedQuarantines ?? []), clock),
    );
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    if (this.closing)
      return Promise.reject(new StoreError('store/read-failed', 'the feature store is closed'));
    return this.queue.add(fn, { throwOnTimeout: true });
  }

  private ctx(policies?: readonly DataPolicy[]): TrainingContext & OnlineContext {
    return {
      db: this.db,
      book: this.book,
      root: this.opts.root,
      policies: policies ?? this.opts.policies ?? [],
      salt: () => (this.salt ??= loadSalt(this.opts.root, this.opts.env)),
    };
  }

  freshness(view: FeatureView, opts?: { now?: Date }): Promise<ViewFreshness> {
    return this.serial(() => viewFreshness(this.ctx(), view, opts?.now));
  }

  onlineState(
    view: FeatureView,
  ): Promise<{ viewDigest: string; watermark: string | null; rows: number } | null> {
    return this.serial(async () => {
      const db = this.ctx().db;
      const exists = await db.all(`SELECT 1 FROM duckdb_tables() WHERE table_name = $1 AND NOT temporary`, [
        onlineTable(view.name),
      ]);
      if (exists.length === 0) return null;
      const meta = await db.all(
        `SELECT view_digest, watermark, rows FROM rudder_online_meta WHERE view = $1`,
        [view.name],
      );
      const m = meta[0];
      if (!m) return null;
      return { viewDigest: String(m.view_digest), watermark: isoOf(m.watermark), rows: num(m.rows) };
    });
  }

  labelFreshness(model: Model): Promise<LabelFreshness> {
    return this.serial(() => labelFreshness(this.ctx(), model));
  }

  buildTrainingSet(req: TrainingSetRequest): Promise<TrainingSet> {
    return this.serial(() => buildTrainingSet(this.ctx(req.policies), req));
  }

  materialize(view: FeatureView, since: string | null): Promise<MaterializeResult> {
    return this.serial(() => materializeView(this.ctx(), view, since));
  }

  scanPii(policy: DataPolicy, views: readonly FeatureView[]): Promise<PiiScanResult> {
    return this.serial(() => this.scan(policy, views, false));
  }

  applyDataPolicy(
    policy: DataPolicy,
    views: readonly FeatureView[],
  ): Promise<PiiScanResult & { quarantines: QuarantineRecord[] }> {
    return this.serial(() => this.scan(policy, views, true));
  }

  releaseQuarantine(id: string): Promise<ReleaseResult> {
    return this.serial(() => this.book.release(id));
  }

  listQuarantines(): Promise<QuarantineRecord[]> {
    return this.serial(() => this.book.list());
  }

  readOnline(
    view: FeatureView,
    entities: readonly Record<string, string | number | bigint | boolean>[],
    opts?: { now?: Date },
  ): Promise<OnlineRow[]> {
    return this.serial(() =>
      readOnlineRows(this.ctx(), view, entities, opts?.now ?? (this.opts.clock ?? (() => new Date()))()),
    );
  }

  /** Waits for the operations already queued, then closes the database; later calls are refused. */
  close(): Promise<void> {
    this.closing ??= this.queue.onIdle().then(() => this.db.close());
    return this.closing;
  }

  /** Scan each source the policy covers (views, and label sources with `scope.labels`) in turn. */
  private async scan(
    policy: DataPolicy,
    views: readonly FeatureView[],
    record: boolean,
  ): Promise<PiiScanResult & { quarantines: QuarantineRecord[] }> {
    const ctx = this.ctx([policy]);
    const scans: PiiViewScan[] = [];
    const quarantines: QuarantineRecord[] = [];
    try {
      for (const t of this.scanTargets(policy, views)) {
        const { staged, files } = await t.stage();
        const enf = await enforcePolicies(ctx, staged, [policy], {
          view: t.name,
          readColumns: new Set(),
          purpose: 'scanning',
          record,
          mutate: false,
        });
        const s = enf.scans[0]!.scan;
        scans.push({ ...s, sourceDigest: await digestFiles(files) });
        quarantines.push(...enf.quarantines);
      }
    } finally {
      await this.db.run(`DROP TABLE IF EXISTS ${SCAN_TABLE}`).catch(() => undefined);
    }
    const findings: PiiFinding[] = scans.flatMap((s) => s.findings.map((f) => ({ view: s.view, ...f })));
    return {
      policy: policy.name,
      scannedRows: scans.reduce((n, s) => n + s.scannedRows, 0),
      findings,
      scans,
      quarantines,
    };
  }

  /**
   * What a policy scans, in order: its views by name, then (with `scope.labels`) the label
   * sources of the models reading them. Each stages its source into `SCAN_TABLE` when asked.
   */
  private scanTargets(policy: DataPolicy, views: readonly FeatureView[]): ScanTarget[] {
    const stage = async (
      what: string,
      spec: SourceSpec,
      req: Omit<StageRequest, 'what' | 'table' | 'source'>,
    ) => {
      const source = await resolveSource(this.opts.root, spec, what);
      const staged = await stageSource(this.db, {
        ...req,
        what,
        table: SCAN_TABLE,
        source,
        checkDuplicates: false,
      });
      return { staged, files: source.files };
    };
    const targets: ScanTarget[] = views
      .filter((v) => policy.views.includes(v.name))
      .sort((a, b) => (a.name < b.name ? -1 : 1))
      .map((view) => ({
        name: view.name,
        stage: () =>
          stage(`feature view "${view.name}"`, view.source, {
            entities: view.entities,
            timestamp: view.source.timestamp,
            features: view.features,
          }),
      }));
    if (!policy.scanLabels) return targets;
    for (const model of this.opts.models ?? []) {
      if (labelPoliciesFor([policy], model.views).length === 0) continue;
      targets.push({
        name: `label:${model.name}`,
        stage: () =>
          stage(`the label source of model "${model.name}"`, model.label.source, {
            entities: model.label.entities,
            timestamp: model.label.source.timestamp,
            features: [],
            labelColumn: model.label.column,
          }),
      });
    }
    return targets;
  }
}
