// The Trainer the executor uses: dispatches each model to the tfjs or command trainer by its
// spec. One instance serves every model of an apply.
import type { Model } from '../compiler/desired-state.ts';
import type { ArtifactRef, ArtifactStore } from '../artifacts/port.ts';
import type { TrainingSet } from '../store/port.ts';
import { CommandTrainer, type CommandTrainerOptions } from './command/trainer.ts';
import type { ProgressMode } from './progress.ts';
import type { TrainerRegistry } from './registry.ts';
import { defaultRuntimes } from './runtimes.ts';
import { TfjsTrainer } from './tfjs/trainer.ts';
import type { EvaluateOptions, Trainer, TrainInput, TrainResult } from './trainer.ts';

export interface DefaultTrainerOptions {
  store: ArtifactStore;
  /** Repository root (command trainers' `workdir` is relative to it). */
  cwd: string;
  env?: NodeJS.ProcessEnv;
  progress?: ProgressMode;
  progressStream?: NodeJS.WritableStream & { isTTY?: boolean };
  /** Command trainers' output lines (secrets redacted). */
  onLog?: CommandTrainerOptions['onLog'];
}

/** The built-in trainers as a registry: tfjs and external commands, each with its runtime. */
export function defaultTrainerRegistry(opts: DefaultTrainerOptions): TrainerRegistry {
  const t = new DefaultTrainer(opts);
  const runtimes = defaultRuntimes(opts.store);
  return {
    tfjs: { trainer: t.tfjs, runtime: runtimes.tfjs },
    command: { trainer: t.command, runtime: runtimes.command },
  };
}

export class DefaultTrainer implements Trainer {
  readonly tfjs: TfjsTrainer;
  readonly command: CommandTrainer;

  constructor(opts: DefaultTrainerOptions) {
    this.tfjs = new TfjsTrainer({
      store: opts.store,
      env: opts.env,
      progress: opts.progress,
      progressStream: opts.progressStream,
    });
    this.command = new CommandTrainer({ store: opts.store, cwd: opts.cwd, env: opts.env, onLog: opts.onLog });
  }

  private pick(model: Model): Trainer {
    return model.trainer.type === 'tfjs' ? this.tfjs : this.command;
  }

  train(input: TrainInput): Promise<TrainResult> {
    return this.pick(input.model).train(input);
  }

  evaluate(
    model: Model,
    artifact: ArtifactRef,
    trainingSet: TrainingSet,
    workDir: string,
    options?: EvaluateOptions,
  ): Promise<Record<string, number>> {
    return this.pick(model).evaluate(model, artifact, trainingSet, workDir, options);
  }
}
