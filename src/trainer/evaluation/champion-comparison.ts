// Score a candidate and its champion on the same rows, and only on rows neither trained on
// (holdout.ts says which). When that cannot be done, say why and what to do: the comparative
// gates then fail closed (gates.ts).
import type { Model } from '../../compiler/desired-state.ts';
import { ArtifactError } from '../../artifacts/port.ts';
import type { ModelVersion } from '../../state/types.ts';
import type { TrainingSet } from '../../store/port.ts';
import { comparisonRows, MIN_COMPARISON_ROWS } from './holdout.ts';
import { readTrainingSet } from '../read-training-set.ts';
import type { Trainer } from '../trainer.ts';

export type ChampionComparison =
  | {
      ok: true;
      candidate: Record<string, number>;
      champion: Record<string, number>;
      rows: number;
      /** How each side's unseen rows were found. */
      how: string[];
    }
  | {
      ok: false;
      /** Why the champion cannot be compared with. */
      note: string;
      /** What to do about it. */
      next: string;
    };

export interface CompareOptions {
  model: Model;
  /** The candidate's training set (its own, or rebuilt up to its cut-off). */
  trainingSet: TrainingSet;
  candidate: ModelVersion;
  champion: ModelVersion;
  trainerFor(type: ModelVersion['trainer']['type']): Trainer;
  workDir: string;
  /** Where the artifacts live, for the next step. */
  storeDescription: string;
  minRows?: number;
  signal?: AbortSignal;
}

/**
 * Score both versions on the rows of `trainingSet` that neither trained on. A candidate that
 * cannot be scored throws (its action fails); a champion that cannot be reached or scored, or too
 * few such rows, is `ok: false` with the reason and the next step.
 */
export async function compareWithChampion(opts: CompareOptions): Promise<ChampionComparison> {
  const { model, candidate: cand, champion: champ } = opts;
  const minRows = opts.minRows ?? MIN_COMPARISON_ROWS;
  const keys = await readTrainingSet(opts.trainingSet, []);
  const side = (v: ModelVersion) => ({
    version: v.version,
    cutoff: v.trainingSet.cutoff,
    seed: v.seed,
    holdout: v.holdout,
  });
  const { rows, how } = comparisonRows(keys.labelTs, keys.entityKeys, side(cand), side(champ), model.split);
  if (rows.length < minRows)
    return {
      ok: false,
      note: `only ${rows.length} of ${keys.labelTs.length} rows were trained on by neither v${cand.version} nor champion v${champ.version}; at least ${minRows} are needed for a fair comparison (${how.join('; ')})`,
      next: `wait for more labels after v${champ.version}'s cut-off ${champ.trainingSet.cutoff}, or add whenChampionUnavailable: skip to the gate to promote on the floors alone`,
    };
  const candidate = await opts
    .trainerFor(cand.trainer.type)
    .evaluate(model, { ...cand.artifact, size: 0 }, opts.trainingSet, opts.workDir, {
      seed: cand.seed,
      rows,
      signal: opts.signal,
    });
  let champion: Record<string, number>;
  try {
    champion = await opts
      .trainerFor(champ.trainer.type)
      .evaluate(model, { ...champ.artifact, size: 0 }, opts.trainingSet, opts.workDir, {
        seed: champ.seed,
        rows,
        signal: opts.signal,
      });
  } catch (e) {
    if (e instanceof ArtifactError && e.reason !== 'invalid' && e.reason !== 'io')
      return {
        ok: false,
        note: `champion v${champ.version}'s artifact cannot be read: ${e.message}`,
        next:
          e.reason === 'missing'
            ? `run \`rudder artifacts pull\`, or configure a shared artifact store (spec.artifacts in rudder.yaml, see docs/artifacts.md) so every checkout reaches it; then \`rudder apply\` again`
            : e.reason === 'corrupt'
              ? `run \`rudder artifacts verify\`, then \`rudder artifacts pull\` from a good copy; then \`rudder apply\` again`
              : `check access to ${opts.storeDescription} (endpoint, network, AWS credentials); then \`rudder apply\` again`,
      };
    return {
      ok: false,
      note: `champion v${champ.version} cannot be scored: ${(e as Error).message.split('\n')[0]}`,
      next: `rudder apply --retrain ${model.name} once the cause is fixed, or add whenChampionUnavailable: skip to the gate to promote on the floors alone`,
    };
  }
  return { ok: true, candidate, champion, rows: rows.length, how };
}
