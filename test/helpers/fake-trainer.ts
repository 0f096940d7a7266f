// One deterministic, instant stand-in trainer for tests about planning, executing and recording
// rather than learning: the artifact is a real blob in the repository's artifact store (digest
// of model spec, training set and seed), every metric has the given quality.
import { openArtifactStore } from '../../src/artifacts/local.ts';
import type { Model } from '../../src/compiler/desired-state.ts';
import type { TrainInput, Trainer, TrainResult } from '../../src/trainer/trainer.ts';

export function fakeTrainer(repo: string, quality = 0.8): Trainer & { trained: string[] } {
  const trained: string[] = [];
  return {
    trained,
    async train(input: TrainInput): Promise<TrainResult> {
      const store = openArtifactStore(repo);
      const artifact = await store.putBytes(
        new TextEncoder().encode(`${input.model.digest}:${input.trainingSet.digest}:${input.seed}`),
      );
      trained.push(input.model.name);
      return {
        metrics: Object.fromEntries(input.model.metrics.map((m) => [m, quality])),
        artifact,
        backend: 'test/fake',
        holdout: { rows: 1, from: input.trainingSet.cutoff, digest: input.trainingSet.digest },
        trainRows: input.trainingSet.rows,
        durationMs: 1,
      };
    },
    evaluate(model: Model): Promise<Record<string, number>> {
      return Promise.resolve(Object.fromEntries(model.metrics.map((m) => [m, quality])));
    },
  };
}
