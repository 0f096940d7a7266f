// The tfjs model artifact: a directory in the content-addressed store holding
//   model.json + weights.bin   a standard TensorFlow.js LayersModel (tf.loadLayersModel reads it)
//   rudder-model.json          feature schema, preprocessing, layer plan, task, seed, backend
// Loading verifies every file's digest (the store does) and the feature schema, so a model is
// never fed features it was not trained on.
import { createHash } from 'node:crypto';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tf } from './tf.ts';
import type { Task } from '../../schema/vocabulary.ts';
import type { ArtifactRef, ArtifactStore } from '../../artifacts/port.ts';
import { canonicalJson } from '../../util/canonical.ts';
import type { Network } from './engine.ts';
import type { NetworkPlan } from '../model-spec.ts';
import {
  checkFeatureSchema,
  encodeRows,
  type ColumnTable,
  type FeatureRef,
  type Preprocessing,
} from './preprocess.ts';
import { TrainerError } from '../trainer.ts';

export const MODEL_MANIFEST = 'rudder-model.json';

export interface ModelManifest {
  kind: 'rudder.model';
  version: 1;
  format: 'tfjs-layers';
  model: string;
  task: Task;
  /** The feature schema, in `model.features` order. */
  features: FeatureRef[];
  preprocessing: Preprocessing;
  plan: NetworkPlan;
  seed: number;
  backend: string;
  /** `sha256:` of weights.bin. */
  weightsDigest: string;
}

/** A tfjs LayersModel with the plan's topology; every layer is named, so the JSON is stable. */
export function buildLayersModel(plan: NetworkPlan): tf.LayersModel {
  const inputs: tf.SymbolicTensor[] = [];
  const parts: tf.SymbolicTensor[] = [];
  if (plan.denseInputs > 0) {
    const x = tf.input({ shape: [plan.denseInputs], name: 'dense_input' });
    inputs.push(x);
    parts.push(x);
  }
  for (const e of plan.embeddings) {
    const idx = tf.input({ shape: [1], name: `${e.name}_input`, dtype: 'int32' });
    inputs.push(idx);
    const emb = tf.layers
      .embedding({ inputDim: e.vocab, outputDim: e.dim, name: e.name })
      .apply(idx) as tf.SymbolicTensor;
    parts.push(tf.layers.flatten({ name: `${e.name}_flat` }).apply(emb) as tf.SymbolicTensor);
  }
  let a =
    parts.length === 1
      ? parts[0]!
      : (tf.layers.concatenate({ name: 'concat', axis: -1 }).apply(parts) as tf.SymbolicTensor);
  plan.hidden.forEach((h, i) => {
    a = tf.layers
      .dense({
        units: h.units,
        activation: h.batchNorm ? 'linear' : h.activation,
        useBias: !h.batchNorm,
        name: `hidden_${i}`,
      })
      .apply(a) as tf.SymbolicTensor;
    if (h.batchNorm) {
      a = tf.layers
        .batchNormalization({ name: `bn_${i}`, epsilon: 1e-3, momentum: 0.99 })
        .apply(a) as tf.SymbolicTensor;
      a = tf.layers.activation({ activation: h.activation, name: `act_${i}` }).apply(a) as tf.SymbolicTensor;
    }
    if (h.dropout > 0)
      a = tf.layers.dropout({ rate: h.dropout, name: `dropout_${i}` }).apply(a) as tf.SymbolicTensor;
  });
  const out = tf.layers
    .dense({ units: plan.output.units, activation: plan.output.activation, name: 'output' })
    .apply(a) as tf.SymbolicTensor;
  return tf.model({ inputs, outputs: out, name: 'rudder_model' });
}

/** Copy a trained Network's weights into a LayersModel of the same plan. */
export function setLayersWeights(
  model: tf.LayersModel,
  plan: NetworkPlan,
  weights: ReturnType<Network['weights']>,
): void {
  const get = (name: string, shape?: number[]): tf.Tensor => {
    const w = weights.get(name);
    if (!w) throw new Error(`no weight ${name}`);
    return tf.tensor(w.values, shape ?? w.shape);
  };
  const set = (layer: string, ts: tf.Tensor[]): void => {
    model.getLayer(layer).setWeights(ts);
    ts.forEach((t) => t.dispose());
  };
  plan.embeddings.forEach((e) => set(e.name, [get(`${e.name}/embeddings`)]));
  plan.hidden.forEach((h, i) => {
    if (h.batchNorm) {
      set(`hidden_${i}`, [get(`hidden_${i}/kernel`)]);
      set(`bn_${i}`, [
        get(`bn_${i}/gamma`, [h.units]),
        get(`bn_${i}/beta`, [h.units]),
        get(`bn_${i}/moving_mean`),
        get(`bn_${i}/moving_variance`),
      ]);
    } else set(`hidden_${i}`, [get(`hidden_${i}/kernel`), get(`hidden_${i}/bias`)]);
  });
  set('output', [get('output/kernel'), get('output/bias')]);
}

/** Serialize a LayersModel to the standard model.json + weights.bin pair. */
export async function serializeLayersModel(
  model: tf.LayersModel,
): Promise<{ modelJson: string; weights: Uint8Array }> {
  let saved: tf.io.ModelArtifacts | undefined;
  await model.save(
    tf.io.withSaveHandler((artifacts) => {
      saved = artifacts;
      return Promise.resolve({
        modelArtifactsInfo: { dateSaved: new Date(0), modelTopologyType: 'JSON' as const },
      });
    }),
  );
  if (!saved?.weightData || !saved.weightSpecs) throw new Error('tfjs saved no weights');
  const weights = new Uint8Array(tf.io.CompositeArrayBuffer.join(saved.weightData));
  const modelJson = JSON.stringify({
    format: 'layers-model',
    generatedBy: `TensorFlow.js tfjs-layers v${tf.version_layers}`,
    convertedBy: null,
    modelTopology: saved.modelTopology,
    weightsManifest: [{ paths: ['weights.bin'], weights: saved.weightSpecs }],
  });
  return { modelJson, weights };
}

export function sha256Digest(bytes: Uint8Array): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`;
}

/** The artifact files, in memory. */
export interface ModelFiles {
  manifest: ModelManifest;
  modelJson: string;
  weights: Uint8Array;
}

/** Write the files into `dir` and store the directory; returns its tree reference. */
export async function storeModelFiles(
  store: ArtifactStore,
  dir: string,
  files: ModelFiles,
): Promise<ArtifactRef> {
  await writeFile(join(dir, 'model.json'), files.modelJson);
  await writeFile(join(dir, 'weights.bin'), files.weights);
  await writeFile(join(dir, MODEL_MANIFEST), `${canonicalJson(files.manifest)}\n`);
  return store.putDir(dir);
}

/** A loaded tfjs model with its preprocessing. */
export class TfjsModel {
  constructor(
    readonly manifest: ModelManifest,
    readonly layers: tf.LayersModel,
  ) {}

  get features(): FeatureRef[] {
    return this.manifest.features;
  }

  /**
   * Score rows of a table holding the model's feature columns. Binary: P(positive class) per row;
   * multiclass: row-major n × k class probabilities; regression: values in the label's units.
   */
  predict(table: Pick<ColumnTable, 'numeric' | 'text'>, rows: readonly number[]): Float32Array {
    const pre = this.manifest.preprocessing;
    const enc = encodeRows(pre, table, rows);
    const out = tf.tidy(() => {
      const inputs: tf.Tensor[] = [];
      if (this.manifest.plan.denseInputs > 0) inputs.push(tf.tensor2d(enc.dense, [enc.rows, pre.denseWidth]));
      for (const idx of enc.indices) inputs.push(tf.tensor2d(idx, [enc.rows, 1], 'int32'));
      const y = this.layers.predict(inputs.length === 1 ? inputs[0]! : inputs) as tf.Tensor;
      return y.dataSync() as Float32Array;
    });
    if (pre.label.kind === 'regression')
      for (let i = 0; i < out.length; i++) out[i] = out[i]! * pre.label.std + pre.label.mean;
    return out;
  }

  dispose(): void {
    this.layers.dispose();
  }
}

/** Build a TfjsModel from files in memory (after training, to score exactly what is stored). */
export async function modelFromFiles(files: ModelFiles): Promise<TfjsModel> {
  const json = JSON.parse(files.modelJson) as {
    modelTopology: object;
    weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[];
  };
  const weights = files.weights;
  const layers = await tf.loadLayersModel(
    tf.io.fromMemory({
      modelTopology: json.modelTopology,
      weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
      weightData: weights.buffer.slice(
        weights.byteOffset,
        weights.byteOffset + weights.byteLength,
      ) as ArrayBuffer,
    }),
  );
  return new TfjsModel(files.manifest, layers);
}

/**
 * Load a stored tfjs model: every file is verified against its digest, and the model's feature
 * schema must equal `features` (ref and type, in any order), or this throws.
 */
export async function loadTfjsModel(
  store: ArtifactStore,
  artifact: ArtifactRef | string,
  features: readonly FeatureRef[],
): Promise<TfjsModel> {
  const digest = typeof artifact === 'string' ? artifact : artifact.digest;
  const dir = await mkdtemp(join(tmpdir(), 'rudder-model-'));
  try {
    await store.getDir(digest, join(dir, 'm'));
    let manifest: ModelManifest;
    try {
      manifest = JSON.parse(await readFile(join(dir, 'm', MODEL_MANIFEST), 'utf8')) as ModelManifest;
    } catch (e) {
      throw new TrainerError(
        `artifact ${digest} is not a Rudder tfjs model (no readable ${MODEL_MANIFEST})`,
        undefined,
        { cause: e },
      );
    }
    if (manifest.kind !== 'rudder.model' || manifest.version !== 1 || manifest.format !== 'tfjs-layers')
      throw new TrainerError(
        `artifact ${digest} is not a Rudder tfjs model (kind ${JSON.stringify(manifest.kind)}, format ${JSON.stringify(manifest.format)})`,
      );
    const mismatch = checkFeatureSchema(manifest.features, features);
    if (mismatch)
      throw new TrainerError(
        `model ${manifest.model} (${digest}) cannot be used with these features: ${mismatch}`,
      );
    const weights = await readFile(join(dir, 'm', 'weights.bin'));
    if (sha256Digest(weights) !== manifest.weightsDigest)
      throw new TrainerError(`artifact ${digest}: weights.bin does not match the manifest's weightsDigest`);
    return await modelFromFiles({
      manifest,
      modelJson: await readFile(join(dir, 'm', 'model.json'), 'utf8'),
      weights,
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
