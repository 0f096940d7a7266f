// The `command` trainer: any external program (a PyTorch script, a cluster-job launcher) under
// the contract in docs/trainers.md. Rudder writes the training set, its train/holdout parts
// (Parquet and CSV) and params.json into a work directory, runs the argv (no shell) with a
// timeout and a minimal environment, and expects metrics.json and a non-empty artifact
// directory. Any failure throws a TrainerError with the log tail, before anything is stored.
import type { ChildProcess } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import type { CommandTrainerSpec, Model } from '../../compiler/desired-state.ts';
import { type ArtifactRef, ArtifactError, type ArtifactStore } from '../../artifacts/port.ts';
import { withDuckDB } from '../../store/duckdb/read-query.ts';
import { LABEL_COLUMN, LABEL_TS_COLUMN, type TrainingSet } from '../../store/port.ts';
import { canonicalJson } from '../../util/canonical.ts';
import { describeHoldout } from '../evaluation/holdout.ts';
import { splitRows, type SplitIndices } from '../evaluation/split.ts';
import {
  TrainerError,
  type EvaluateOptions,
  type Trainer,
  type TrainInput,
  type TrainResult,
} from '../trainer.ts';

export interface CommandTrainerOptions {
  store: ArtifactStore;
  /** Repository root: the spec's `workdir` is relative to it. */
  cwd: string;
  /** Where `fromEnv` values and PATH/HOME/... come from. Default: process.env. */
  env?: NodeJS.ProcessEnv;
  /** Each line the program prints (secrets redacted), e.g. to stream it to stderr with --verbose. */
  onLog?: (line: string) => void;
  /** Lines of output kept for error messages. Default 40. */
  logTailLines?: number;
  /** Grace period between SIGTERM and SIGKILL on timeout or abort. Default 5 s. */
  killGraceMs?: number;
}

/** Variables passed through from Rudder's environment besides `fromEnv`: never secrets. */
const BASE_ENV = [
  'PATH',
  'HOME',
  'TMPDIR',
  'TEMP',
  'TMP',
  'LANG',
  'LC_ALL',
  'TZ',
  'SYSTEMROOT',
  'PYTHONIOENCODING',
];

export const CONTRACT_VERSION = 1;

export interface CommandFiles {
  /** The whole training set, as the feature store wrote it. */
  trainingSet: string;
  /** Training rows (everything but the holdout), Parquet and CSV. */
  train: string;
  trainCsv: string;
  holdout: string;
  holdoutCsv: string;
  params: string;
  /** Written by the program. */
  metrics: string;
  /** train: the program writes its artifact here; evaluate: the stored artifact, read-only. */
  artifactDir: string;
  log: string;
}

export class CommandTrainer implements Trainer {
  constructor(private readonly opts: CommandTrainerOptions) {}

  async train(input: TrainInput): Promise<TrainResult> {
    const { model, trainingSet, seed } = input;
    const spec = commandSpec(model);
    const started = performance.now();
    const dir = join(input.workDir, 'command');
    await rm(dir, { recursive: true, force: true });
    const { files, split, holdout } = await this.prepare(model, spec, trainingSet, seed, dir, 'train');
    await mkdir(files.artifactDir, { recursive: true });
    await this.run(model, spec, files, 'train', seed, input.signal);
    const metrics = await readMetrics(model, files.metrics);
    await checkArtifactDir(model, files.artifactDir);
    let artifact: ArtifactRef;
    try {
      artifact = await this.opts.store.putDir(files.artifactDir);
    } catch (e) {
      if (e instanceof ArtifactError)
        throw new TrainerError(
          `model ${model.name}: the artifact directory cannot be stored: ${e.message}`,
          undefined,
          { cause: e },
        );
      throw e;
    }
    return {
      metrics,
      artifact,
      backend: 'command',
      holdout,
      trainRows: split.train.length + split.validation.length,
      durationMs: Math.round(performance.now() - started),
      details: { command: spec.command[0]!, contract: CONTRACT_VERSION },
    };
  }

  /** Restore the stored artifact (digests verified) and run the program in `evaluate` mode on the holdout. */
  async evaluate(
    model: Model,
    artifact: ArtifactRef,
    trainingSet: TrainingSet,
    workDir: string,
    options: EvaluateOptions = {},
  ): Promise<Record<string, number>> {
    const spec = commandSpec(model);
    const seed = options.seed ?? spec.seed;
    const dir = join(workDir, 'command-evaluate');
    await rm(dir, { recursive: true, force: true });
    const { files } = await this.prepare(model, spec, trainingSet, seed, dir, 'evaluate', options.rows);
    await this.opts.store.getDir(artifact.digest, files.artifactDir);
    await this.run(model, spec, files, 'evaluate', seed, options.signal);
    return readMetrics(model, files.metrics);
  }

  private async prepare(
    model: Model,
    spec: CommandTrainerSpec,
    ts: TrainingSet,
    seed: number,
    dir: string,
    mode: 'train' | 'evaluate',
    holdoutRows?: readonly number[],
  ) {
    await mkdir(dir, { recursive: true });
    const files: CommandFiles = {
      trainingSet: join(dir, 'training-set.parquet'),
      train: join(dir, 'train.parquet'),
      trainCsv: join(dir, 'train.csv'),
      holdout: join(dir, 'holdout.parquet'),
      holdoutCsv: join(dir, 'holdout.csv'),
      params: join(dir, 'params.json'),
      metrics: join(dir, 'metrics.json'),
      artifactDir: join(dir, mode === 'train' ? 'artifact' : 'champion-artifact'),
      log: join(dir, `${mode}.log`),
    };
    const { split, labelTs, entityKeys } = await writeSplitFiles(model, ts, seed, files, holdoutRows);
    if (split.holdout.length === 0)
      throw new TrainerError(
        `model ${model.name}: the holdout of ${ts.path} is empty (split.holdout is ${model.split.holdout})`,
      );
    const holdout = describeHoldout(split.holdout, labelTs, entityKeys);
    const params = {
      contract: CONTRACT_VERSION,
      mode,
      model: model.name,
      task: model.task,
      seed,
      params: spec.params,
      metrics: model.metrics,
      primaryMetric: model.primaryMetric,
      label: { column: LABEL_COLUMN, timestampColumn: LABEL_TS_COLUMN, classes: model.label.classes ?? null },
      entityColumns: ts.entityColumns,
      features: ts.features,
      split: {
        ...model.split,
        trainRows: split.train.length + split.validation.length,
        holdoutRows: split.holdout.length,
        holdoutDigest: holdout.digest,
      },
      files,
    };
    await writeFile(files.params, `${JSON.stringify(JSON.parse(canonicalJson(params)), null, 2)}\n`);
    return { files, split, holdout };
  }

  private async run(
    model: Model,
    spec: CommandTrainerSpec,
    files: CommandFiles,
    mode: 'train' | 'evaluate',
    seed: number,
    signal?: AbortSignal,
  ): Promise<void> {
    const { env, secrets } = commandEnv(this.opts.env ?? process.env, spec, files, mode, model, seed);
    const log = logSink(files.log, secrets, this.opts.logTailLines ?? 40, (line) => this.opts.onLog?.(line));
    const cwd = resolve(this.opts.cwd, spec.workdir);
    const [program, ...args] = spec.command;
    const argv = spec.command.map((a) => JSON.stringify(a)).join(' ');
    const outcome = await runSupervised(program!, args, {
      cwd,
      env,
      timeoutMs: spec.timeoutMs,
      killGraceMs: () => this.opts.killGraceMs ?? 5000,
      signal,
      onLine: log.line,
    });
    const logTail = await log.close();
    checkOutcome(
      outcome,
      `model ${model.name}: ${mode} command ${argv} (in ${cwd})`,
      program!,
      spec,
      logTail,
    );
  }
}

/** The program's whole environment: BASE_ENV, the spec's env, fromEnv pass-through, the contract's variables. */
function commandEnv(
  source: NodeJS.ProcessEnv,
  spec: CommandTrainerSpec,
  files: CommandFiles,
  mode: 'train' | 'evaluate',
  model: Model,
  seed: number,
): { env: Record<string, string>; secrets: string[] } {
  const env: Record<string, string> = {};
  for (const k of BASE_ENV) if (source[k] !== undefined) env[k] = source[k]!;
  Object.assign(env, spec.env);
  const secrets: string[] = [];
  for (const k of spec.fromEnv) {
    // Pass-through: a variable Rudder does not have is simply not passed (CUDA_VISIBLE_DEVICES
    // on a CPU-only runner); a program that needs it fails with its own message.
    const v = source[k];
    if (v === undefined) continue;
    env[k] = v;
    if (v.length >= 3) secrets.push(v);
  }
  Object.assign(env, {
    RUDDER_CONTRACT: String(CONTRACT_VERSION),
    RUDDER_MODE: mode,
    RUDDER_MODEL: model.name,
    RUDDER_SEED: String(seed),
    RUDDER_PARAMS: files.params,
    RUDDER_TRAINING_SET: files.trainingSet,
    RUDDER_TRAIN: files.train,
    RUDDER_TRAIN_CSV: files.trainCsv,
    RUDDER_HOLDOUT: files.holdout,
    RUDDER_HOLDOUT_CSV: files.holdoutCsv,
    RUDDER_METRICS: files.metrics,
    RUDDER_ARTIFACT_DIR: files.artifactDir,
  });
  return { env, secrets };
}

/** The program's output, secrets redacted: written to the log file, kept as a tail for errors. */
function logSink(
  path: string,
  secrets: readonly string[],
  tailMax: number,
  onLog: (line: string) => void,
): { line: (line: string) => void; close: () => Promise<string> } {
  const redact = (line: string): string => secrets.reduce((l, s) => l.split(s).join('***'), line);
  const tail: string[] = [];
  const log = createWriteStream(path);
  return {
    line: (line) => {
      const clean = redact(line);
      tail.push(clean);
      if (tail.length > tailMax) tail.shift();
      log.write(`${clean}\n`);
      onLog(clean);
    },
    close: async () => {
      await new Promise<void>((r) => log.end(r));
      return tail.join('\n');
    },
  };
}

interface Outcome {
  code: number | null;
  signal: string | null;
  /** Set when the program could not be started at all. */
  error: Error | undefined;
  timedOut: boolean;
  aborted: boolean;
}

/** Run the program to its end, killing its process group on timeout or abort. */
async function runSupervised(
  program: string,
  args: string[],
  opts: {
    cwd: string;
    env: Record<string, string>;
    timeoutMs: number;
    killGraceMs: () => number;
    signal?: AbortSignal;
    onLine: (line: string) => void;
  },
): Promise<Outcome> {
  const { signal } = opts;
  // execa runs the argv without a shell, with exactly `env` (extendEnv: false), and reports
  // spawn errors, exit codes and signals in one result. The program runs in its own process
  // group (detached) so a timeout or an abort stops everything it started, not just itself.
  const child = execa(program, args, {
    cwd: opts.cwd,
    env: opts.env,
    extendEnv: false,
    stdin: 'ignore',
    stdout: 'pipe',
    stderr: 'pipe',
    buffer: false,
    reject: false,
    detached: process.platform !== 'win32',
    windowsHide: true,
  });
  let timedOut = false;
  let aborted = false;
  let killTimer: NodeJS.Timeout | undefined;
  const kill = (): void => {
    signalGroup(child, 'SIGTERM');
    killTimer = setTimeout(() => signalGroup(child, 'SIGKILL'), opts.killGraceMs());
    killTimer.unref();
  };
  const timer = setTimeout(() => {
    timedOut = true;
    kill();
  }, opts.timeoutMs);
  const onAbort = (): void => {
    aborted = true;
    kill();
  };
  signal?.addEventListener('abort', onAbort, { once: true });
  const reading = Promise.all([readLines(child.stdout, opts.onLine), readLines(child.stderr, opts.onLine)]);
  const result = await child;
  await reading.catch(() => undefined);
  clearTimeout(timer);
  if (killTimer) clearTimeout(killTimer);
  signal?.removeEventListener('abort', onAbort);
  return outcomeOf(result, timedOut, aborted);
}

function outcomeOf(result: Awaited<ReturnType<typeof execa>>, timedOut: boolean, aborted: boolean): Outcome {
  const spawnError =
    result.failed &&
    result.exitCode === undefined &&
    result.signal === undefined &&
    result.cause instanceof Error
      ? result.cause
      : undefined;
  return {
    code: result.exitCode ?? null,
    signal: result.signal ?? null,
    error: spawnError,
    timedOut,
    aborted,
  };
}

/** Signal the program's whole process group (where there are groups). */
function signalGroup(child: Pick<ChildProcess, 'pid' | 'kill'>, sig: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined && process.platform !== 'win32') process.kill(-child.pid, sig);
    else child.kill(sig);
  } catch {
    // Already gone.
  }
}

/** Each stream split into lines on its own: a partial line of one never joins the other's. */
async function readLines(
  stream: NodeJS.ReadableStream | null,
  onLine: (line: string) => void,
): Promise<void> {
  if (!stream) return;
  let buf = '';
  stream.setEncoding('utf8');
  for await (const chunk of stream as AsyncIterable<string>) {
    buf += chunk;
    let i: number;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i).replace(/\r$/, ''));
      buf = buf.slice(i + 1);
    }
  }
  if (buf) onLine(buf);
}

/** Throw the TrainerError for a program that could not start, timed out, was aborted or failed. */
function checkOutcome(
  outcome: Outcome,
  where: string,
  program: string,
  spec: CommandTrainerSpec,
  logTail: string,
): void {
  if (outcome.error) {
    const code = (outcome.error as NodeJS.ErrnoException).code;
    throw new TrainerError(
      code === 'ENOENT'
        ? `${where} cannot start: ${program} was not found (or the workdir does not exist)`
        : `${where} cannot start: ${outcome.error.message}`,
      logTail,
      { cause: outcome.error },
    );
  }
  if (outcome.timedOut)
    throw new TrainerError(
      `${where} timed out after ${formatMs(spec.timeoutMs)} and was killed${tailNote(logTail)}`,
      logTail,
    );
  if (outcome.aborted) throw new TrainerError(`${where} was aborted${tailNote(logTail)}`, logTail);
  if (outcome.code !== 0)
    throw new TrainerError(
      `${where} failed with ${outcome.code === null ? `signal ${outcome.signal}` : `exit code ${outcome.code}`}${tailNote(logTail)}${missingModuleHint(logTail)}`,
      logTail,
    );
}

/** A Python program that cannot import a package: say which, and how to install it. */
function missingModuleHint(tail: string): string {
  const m = /ModuleNotFoundError: No module named '([A-Za-z0-9_]+)/.exec(tail);
  if (!m) return '';
  const mod = m[1]!;
  return `\nhint: the Python that runs the command has no module "${mod}": install it for that interpreter (Debian/Ubuntu: sudo apt-get install python3-${mod.toLowerCase()}; or pip install ${mod}), or point spec.trainer.command at a Python that has it`;
}

function tailNote(tail: string): string {
  return tail ? `; last output:\n${tail}` : ' (no output)';
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function commandSpec(model: Model): CommandTrainerSpec {
  if (model.trainer.type !== 'command')
    throw new TrainerError(`model ${model.name} uses the ${model.trainer.type} trainer, not command`);
  return model.trainer;
}

/** metrics.json: an object with every metric of the model as a finite number. */
async function readMetrics(model: Model, path: string): Promise<Record<string, number>> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch {
    throw new TrainerError(
      `model ${model.name}: the command exited 0 but wrote no metrics.json (expected at ${path})`,
    );
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    const nonFinite = /\b(NaN|-?Infinity)\b/.exec(text);
    throw new TrainerError(
      nonFinite
        ? `model ${model.name}: metrics.json contains ${nonFinite[1]}; every metric must be a finite number`
        : `model ${model.name}: metrics.json is not valid JSON: ${(e as Error).message}`,
    );
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed))
    throw new TrainerError(`model ${model.name}: metrics.json must be a JSON object of metric name → number`);
  const obj = parsed as Record<string, unknown>;
  const out: Record<string, number> = {};
  const missing = model.metrics.filter((m) => !(m in obj));
  if (missing.length)
    throw new TrainerError(
      `model ${model.name}: metrics.json lacks ${missing.join(', ')} (it has ${Object.keys(obj).join(', ') || 'nothing'})`,
    );
  for (const m of model.metrics) {
    const v = obj[m];
    if (typeof v !== 'number' || !Number.isFinite(v))
      throw new TrainerError(
        `model ${model.name}: metrics.json has ${m} = ${JSON.stringify(v)}; every metric must be a finite number`,
      );
    out[m] = v;
  }
  return out;
}

async function checkArtifactDir(model: Model, dir: string): Promise<void> {
  const s = await stat(dir).catch(() => undefined);
  if (!s?.isDirectory())
    throw new TrainerError(`model ${model.name}: the command removed its artifact directory ${dir}`);
  if ((await readdir(dir)).length === 0)
    throw new TrainerError(`model ${model.name}: the command wrote nothing to its artifact directory ${dir}`);
}

const literal = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/** Copy the training set and write its train / holdout parts (Parquet and CSV) with DuckDB. */
async function writeSplitFiles(
  model: Model,
  ts: TrainingSet,
  seed: number,
  files: CommandFiles,
  /** Score exactly these rows (a champion comparison) instead of the split's holdout. */
  holdoutRows?: readonly number[],
): Promise<{ split: SplitIndices; labelTs: Float64Array; entityKeys: string[] }> {
  await copyFile(ts.path, files.trainingSet);
  return withDuckDB({ threads: 2 }, async (conn) => {
    const src = `read_parquet(${literal(files.trainingSet)}, file_row_number = true)`;
    const keys = ts.entityColumns.map((k) => `CAST("${k.replace(/"/g, '""')}" AS VARCHAR)`);
    let cols: unknown[][];
    try {
      const r = await conn.runAndReadAll(
        `SELECT epoch_ms("${LABEL_TS_COLUMN}")::DOUBLE${keys.map((k) => `, ${k}`).join('')} FROM ${src} ORDER BY file_row_number`,
      );
      cols = r.getColumnsJS();
    } catch (e) {
      throw new TrainerError(
        `model ${model.name}: cannot read training set ${ts.path}: ${(e as Error).message.split('\n')[0]}`,
        undefined,
        { cause: e },
      );
    }
    const rows = cols[0]?.length ?? 0;
    const labelTs = Float64Array.from(cols[0] ?? [], (v) => Number(v));
    const entityKeys = Array.from({ length: rows }, (_, r) =>
      // Keys are cast to VARCHAR in the query: a string, or null for a missing key.
      ts.entityColumns.map((_k, j) => keyText(cols[1 + j]![r])).join('\u001f'),
    );
    const explicit = holdoutRows ? new Set(holdoutRows.filter((r) => r >= 0 && r < rows)) : undefined;
    const split: SplitIndices = explicit
      ? {
          train: Array.from({ length: rows }, (_, i) => i).filter((i) => !explicit.has(i)),
          validation: [],
          holdout: [...explicit].sort((a, b) => a - b),
        }
      : splitRows(rows, model.split, seed);
    const holdoutSet = `(SELECT unnest([${split.holdout.join(',')}]::BIGINT[]) AS i)`;
    for (const [part, parquet, csv] of [
      ['train', files.train, files.trainCsv],
      ['holdout', files.holdout, files.holdoutCsv],
    ] as const) {
      const where =
        model.split.method === 'time' && !explicit
          ? part === 'holdout'
            ? `file_row_number >= ${rows - split.holdout.length}`
            : `file_row_number < ${rows - split.holdout.length}`
          : `file_row_number ${part === 'holdout' ? '' : 'NOT '}IN ${holdoutSet}`;
      const select = `SELECT * EXCLUDE (file_row_number) FROM ${src} WHERE ${where} ORDER BY file_row_number`;
      await conn.run(`COPY (${select}) TO ${literal(parquet)} (FORMAT parquet)`);
      await conn.run(`COPY (${select}) TO ${literal(csv)} (FORMAT csv, HEADER true)`);
    }
    return { split, labelTs, entityKeys };
  });
}

function keyText(v: unknown): string {
  return typeof v === 'string' ? v : '';
}
