import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { LocalArtifactStore } from '../../../src/artifacts/local.ts';
import type { TrainingSet } from '../../../src/store/port.ts';
import { CommandTrainer } from '../../../src/trainer/command/trainer.ts';
import { DefaultTrainer } from '../../../src/trainer/default-trainer.ts';
import { TrainerError } from '../../../src/trainer/trainer.ts';
import { churnFeatures, churnRows, commandSpec, makeModel, writeTrainingSet } from './fixtures.ts';

const SCRIPT = resolve(import.meta.dirname, '../../fixtures/trainer/contract_trainer.py');
let dir: string;
let ts: TrainingSet;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rudder-cmd-'));
  ts = await writeTrainingSet(dir, churnFeatures, churnRows(200, 4));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

function setup(
  name: string,
  params: Record<string, unknown> = {},
  over: Parameters<typeof commandSpec>[0] = {},
) {
  const store = new LocalArtifactStore(join(dir, name, 'artifacts'));
  const model = makeModel({
    features: churnFeatures,
    metrics: ['accuracy', 'auc'],
    trainer: commandSpec({ command: ['python3', SCRIPT], params, ...over }),
  });
  const logs: string[] = [];
  const trainer = new CommandTrainer({
    store,
    cwd: dir,
    env: { ...process.env, API_TOKEN: 's3cr3t-value' },
    onLog: (l) => logs.push(l),
    killGraceMs: 200,
  });
  return { store, model, trainer, logs, workDir: join(dir, name, 'work') };
}

async function storedFiles(store: LocalArtifactStore): Promise<number> {
  return (await readdir(store.root, { recursive: true }).catch(() => [])).length;
}

describe('command trainer contract', () => {
  test('runs the program, reads its metrics, stores its artifact, and re-scores it in evaluate mode', async () => {
    // GIVEN a python3 program following the contract
    const { store, model, trainer, logs, workDir } = setup('ok', { lr: 0.1 });
    // WHEN it trains
    const r = await trainer.train({ model, trainingSet: ts, seed: 5, workDir });
    // THEN the metrics are the program's, the artifact is stored, the holdout is Rudder's
    expect(r.backend).toBe('command');
    expect(r.metrics.accuracy).toBeGreaterThan(0.6);
    expect(Object.keys(r.metrics).sort()).toEqual(['accuracy', 'auc']);
    expect(r.holdout.rows).toBe(40);
    expect(r.trainRows).toBe(160);
    expect(logs[0]).toBe('mode=train seed=5 rows=160');
    const params = JSON.parse(await readFile(join(workDir, 'command', 'params.json'), 'utf8'));
    expect(params).toMatchObject({
      contract: 1,
      mode: 'train',
      model: 'churn',
      seed: 5,
      params: { lr: 0.1 },
      metrics: ['accuracy', 'auc'],
      split: { method: 'time', holdoutRows: 40, trainRows: 160 },
    });
    expect(await store.has(r.artifact.digest)).toBe(true);
    // AND evaluate mode restores the stored artifact and reproduces the holdout metrics
    const again = await trainer.evaluate(model, r.artifact, ts, join(workDir, 'eval'), { seed: 5 });
    expect(again).toEqual(r.metrics);
  });

  const failures: [string, Record<string, unknown>, RegExp][] = [
    [
      'a non-zero exit, with the log tail',
      { behaviour: 'fail' },
      /failed with exit code 3; last output:\n(.|\n)*ValueError: the loss exploded/,
    ],
    ['no metrics.json', { behaviour: 'no-metrics' }, /exited 0 but wrote no metrics\.json/],
    ['malformed metrics.json', { behaviour: 'malformed' }, /metrics\.json is not valid JSON/],
    [
      'a NaN metric',
      { behaviour: 'nan' },
      /metrics\.json contains NaN; every metric must be a finite number/,
    ],
    ['a missing metric', { behaviour: 'missing-metric' }, /metrics\.json lacks auc \(it has accuracy\)/],
    ['an empty artifact directory', { behaviour: 'no-artifact' }, /wrote nothing to its artifact directory/],
  ];
  test.each(failures)('fails on %s and stores nothing', async (_name, params, message) => {
    const { store, model, trainer, workDir } = setup(`fail-${String(params.behaviour)}`, params);
    const err = await trainer.train({ model, trainingSet: ts, seed: 1, workDir }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TrainerError);
    expect((err as Error).message).toMatch(message);
    expect(await storedFiles(store)).toBe(0);
  });

  test('a timeout kills the program and reports the log tail', async () => {
    const { store, model, trainer, workDir } = setup('timeout', { behaviour: 'sleep' }, { timeoutMs: 700 });
    const t0 = Date.now();
    const err = (await trainer
      .train({ model, trainingSet: ts, seed: 1, workDir })
      .catch((e: unknown) => e)) as TrainerError;
    expect(Date.now() - t0).toBeLessThan(10_000);
    expect(err.message).toMatch(
      /timed out after 700ms and was killed; last output:\nmode=train seed=1 rows=160/,
    );
    expect(err.logTail).toContain('mode=train');
    expect(await storedFiles(store)).toBe(0);
  });

  test('a Python program missing a package gets a hint naming the package and how to install it', async () => {
    // GIVEN a program that fails as python3 does without torch (sh stands in: no Python needed)
    const { store, model, trainer, workDir } = setup(
      'no-torch',
      {},
      {
        command: [
          '/bin/sh',
          '-c',
          `echo 'Traceback (most recent call last):' >&2; echo "ModuleNotFoundError: No module named 'torch'" >&2; exit 1`,
        ],
      },
    );
    const err = (await trainer
      .train({ model, trainingSet: ts, seed: 1, workDir })
      .catch((e: unknown) => e)) as TrainerError;
    expect(err).toBeInstanceOf(TrainerError);
    expect(err.message).toMatch(/failed with exit code 1; last output:\n(.|\n)*No module named 'torch'/);
    expect(err.message).toMatch(/hint: the Python that runs the command has no module "torch"/);
    expect(err.message).toContain('apt-get install python3-torch');
    expect(await storedFiles(store)).toBe(0);
  });

  test('fromEnv passes a secret through without it ever reaching the logs', async () => {
    const { model, trainer, logs, workDir } = setup(
      'secret',
      { behaviour: 'print-secret' },
      { fromEnv: ['API_TOKEN'], env: { MODE: 'x' } },
    );
    await trainer.train({ model, trainingSet: ts, seed: 1, workDir });
    expect(logs).toContain('token is ***');
    expect(logs.join('\n')).not.toContain('s3cr3t-value');
    expect(await readFile(join(workDir, 'command', 'train.log'), 'utf8')).not.toContain('s3cr3t-value');
  });

  test('the default trainer dispatches a command model to the command trainer', async () => {
    const { store, model, workDir } = setup('default');
    const r = await new DefaultTrainer({ store, cwd: dir, progress: 'none' }).train({
      model,
      trainingSet: ts,
      seed: 2,
      workDir,
    });
    expect(r.backend).toBe('command');
  });

  test('only PATH-like basics, the spec env and fromEnv reach the program', async () => {
    const { model, trainer, logs, workDir } = setup('env', { behaviour: 'print-secret' });
    await trainer.train({ model, trainingSet: ts, seed: 1, workDir });
    expect(logs).toContain('token is <unset>');
  });

  test('an unset fromEnv variable is not passed; a missing program is a clear error', async () => {
    const a = setup('unset', {}, { fromEnv: ['NOT_SET_ANYWHERE'] });
    await expect(
      a.trainer.train({ model: a.model, trainingSet: ts, seed: 1, workDir: a.workDir }),
    ).resolves.toMatchObject({ backend: 'command' });
    const b = setup('missing', {}, { command: ['no-such-trainer-binary', '--x'] });
    await expect(
      b.trainer.train({ model: b.model, trainingSet: ts, seed: 1, workDir: b.workDir }),
    ).rejects.toThrow(/"no-such-trainer-binary" "--x" .*cannot start: no-such-trainer-binary was not found/);
  });
});
