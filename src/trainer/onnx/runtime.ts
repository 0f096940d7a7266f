// The ModelRuntime for command-trainer artifacts exported as ONNX, run by onnxruntime-node on
// the CPU (its CPU binaries ship inside the npm package). The serving contract (docs/trainers.md,
// "Serving: model.onnx"): the artifact directory holds
//   model.onnx        one float32 input [batch, width]; the first output (or `output`) is the score
//   rudder-onnx.json  { "format": "rudder.onnx", "version": 1, "input": "features",
//                       "output"?: "score", "columns": [{ "ref", "type", "vocab"? }], "classes"? }
// Rudder builds the input row from `columns`, in order: a numeric feature (int, float, bool as
// 0/1, timestamp as epoch seconds) is one column holding the raw value, NaN when missing — the
// graph does its own scaling and imputation; a category/string feature is `vocab.length + 1`
// one-hot columns, the last for values outside the vocabulary and for missing ones. Outputs:
// regression [batch] or [batch, 1] in label units; binary [batch]/[batch, 1] P(positive) or
// [batch, 2]; multiclass [batch, k] probabilities (class names from `classes`).
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { ArtifactRef, ArtifactStore } from '../../artifacts/port.ts';
import type { FeatureType, Model } from '../../compiler/desired-state.ts';
import { isNumericType } from '../tfjs/preprocess.ts';
import type { FeatureRow, LoadedModel, ModelRuntime, Prediction } from '../runtime.ts';
import { FeatureValueError, numericValue, textValue } from '../tfjs/runtime.ts';
import { TrainerError } from '../trainer.ts';

export const ONNX_MODEL = 'model.onnx';
export const ONNX_MANIFEST = 'rudder-onnx.json';

export interface OnnxManifest {
  format: 'rudder.onnx';
  version: 1;
  input: string;
  output?: string;
  columns: { ref: string; type: FeatureType; vocab?: string[] }[];
  classes?: (string | number | boolean)[];
}

function readManifest(text: string, digest: string): OnnxManifest {
  let m: OnnxManifest;
  try {
    m = JSON.parse(text) as OnnxManifest;
  } catch (e) {
    throw new TrainerError(`artifact ${digest}: ${ONNX_MANIFEST} is not JSON`, undefined, { cause: e });
  }
  if (
    m?.format !== 'rudder.onnx' ||
    m.version !== 1 ||
    typeof m.input !== 'string' ||
    !Array.isArray(m.columns)
  )
    throw new TrainerError(
      `artifact ${digest}: ${ONNX_MANIFEST} must be {"format": "rudder.onnx", "version": 1, "input": …, "columns": […]}`,
    );
  for (const [i, c] of m.columns.entries())
    if (
      typeof c?.ref !== 'string' ||
      typeof c.type !== 'string' ||
      (!isNumericType(c.type) && !Array.isArray(c.vocab))
    )
      throw new TrainerError(
        `artifact ${digest}: ${ONNX_MANIFEST} columns[${i}] needs a ref, a type, and a vocab for text features`,
      );
  return m;
}

class LoadedOnnx implements LoadedModel {
  readonly format = 'onnx';
  readonly features: readonly { ref: string; type: string }[];
  private readonly width: number;
  private readonly output: string;
  constructor(
    readonly model: string,
    readonly version: number,
    readonly digest: string,
    private readonly task: Model['task'],
    private readonly manifest: OnnxManifest,
    private readonly session: ort.InferenceSession,
  ) {
    this.features = manifest.columns.map((c) => ({ ref: c.ref, type: c.type }));
    this.width = manifest.columns.reduce((w, c) => w + (isNumericType(c.type) ? 1 : c.vocab!.length + 1), 0);
    this.output = manifest.output ?? session.outputNames[0]!;
    if (!session.inputNames.includes(manifest.input))
      throw new TrainerError(
        `artifact ${digest}: model.onnx has no input ${JSON.stringify(manifest.input)} (it has ${session.inputNames.join(', ')})`,
      );
    if (!session.outputNames.includes(this.output))
      throw new TrainerError(`artifact ${digest}: model.onnx has no output ${JSON.stringify(this.output)}`);
  }

  encode(rows: readonly FeatureRow[]): Float32Array {
    const x = new Float32Array(rows.length * this.width);
    rows.forEach((r, i) => {
      let col = i * this.width;
      for (const c of this.manifest.columns) {
        if (isNumericType(c.type)) x[col++] = numericValue(c.ref, c.type, r[c.ref], i);
        else {
          const v = textValue(c.ref, r[c.ref], i);
          const k = v == null ? -1 : c.vocab!.indexOf(v);
          x[col + (k < 0 ? c.vocab!.length : k)] = 1;
          col += c.vocab!.length + 1;
        }
      }
    });
    return x;
  }

  async predict(rows: readonly FeatureRow[]): Promise<Prediction[]> {
    if (rows.length === 0) return [];
    const input = new ort.Tensor('float32', this.encode(rows), [rows.length, this.width]);
    const out = (await this.session.run({ [this.manifest.input]: input }))[this.output];
    if (!out) throw new Error(`model.onnx returned no ${this.output}`);
    const data = out.data as Float32Array;
    const k = out.dims.length > 1 ? Number(out.dims[out.dims.length - 1]) : 1;
    if (data.length !== rows.length * k)
      throw new Error(
        `model.onnx returned ${data.length} values for ${rows.length} rows (shape ${out.dims.join('×')})`,
      );
    const classes = this.manifest.classes;
    if (this.task === 'multiclass-classification')
      return rows.map((_, i) => {
        const probabilities = Array.from(data.subarray(i * k, i * k + k));
        let best = 0;
        for (let j = 1; j < k; j++) if (probabilities[j]! > probabilities[best]!) best = j;
        return { score: probabilities[best]!, probabilities, ...(classes ? { label: classes[best]! } : {}) };
      });
    if (this.task === 'binary-classification')
      return rows.map((_, i) => {
        const p = k === 2 ? data[i * 2 + 1]! : data[i]!;
        return { score: p, ...(classes?.length === 2 ? { label: classes[p >= 0.5 ? 1 : 0]! } : {}) };
      });
    return rows.map((_, i) => ({ score: data[i * k]! }));
  }

  async dispose(): Promise<void> {
    await this.session.release();
  }
}

export class OnnxRuntime implements ModelRuntime {
  constructor(private readonly store: ArtifactStore) {}

  async load(model: Model, version: number, artifact: ArtifactRef): Promise<LoadedModel> {
    const digest = artifact.digest;
    const dir = await mkdtemp(join(tmpdir(), 'rudder-onnx-'));
    try {
      // getDir verifies every file against the tree's manifest digest.
      await this.store.getDir(digest, dir);
      let manifestText: string;
      let bytes: Uint8Array;
      try {
        manifestText = await readFile(join(dir, ONNX_MANIFEST), 'utf8');
        bytes = await readFile(join(dir, ONNX_MODEL));
      } catch (e) {
        throw new TrainerError(
          `artifact ${digest} of ${model.name} v${version} has no ${ONNX_MODEL} and ${ONNX_MANIFEST}; a command trainer's artifact is served through ONNX (docs/trainers.md)`,
          undefined,
          { cause: e },
        );
      }
      const manifest = readManifest(manifestText, digest);
      const expected = model.features.map((f) => `${f.ref}:${f.type}`).join(', ');
      const actual = manifest.columns.map((c) => `${c.ref}:${c.type}`).join(', ');
      if (expected !== actual)
        throw new TrainerError(
          `model ${model.name} v${version} (${digest}) cannot be served with these features: the model has ${expected}; ${ONNX_MANIFEST} declares ${actual}`,
        );
      const session = await ort.InferenceSession.create(bytes, {
        executionProviders: ['cpu'],
        intraOpNumThreads: 1,
        interOpNumThreads: 1,
      });
      return new LoadedOnnx(model.name, version, digest, model.task, manifest, session);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }
}

export { FeatureValueError };
