import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, test } from 'vitest';
import { LocalArtifactStore } from '../../../src/artifacts/local.ts';
import { OnnxRuntime, type OnnxManifest } from '../../../src/trainer/onnx/runtime.ts';
import {
  FeatureValueError,
  numericValue,
  TfjsRuntime,
  toColumnTable,
} from '../../../src/trainer/tfjs/runtime.ts';
import { defaultTrainerRegistry } from '../../../src/trainer/default-trainer.ts';
import { defaultRuntimes } from '../../../src/trainer/runtimes.ts';
import { makeModel } from '../trainer/fixtures.ts';
import { linearOnnx } from './onnx-fixture.ts';

const dirs: string[] = [];
const temp = (): string => {
  const d = mkdtempSync(join(tmpdir(), 'rudder-rt-'));
  dirs.push(d);
  return d;
};
afterAll(() => dirs.forEach((d) => rmSync(d, { recursive: true, force: true })));

const model = makeModel({
  task: 'binary-classification',
  features: [
    { view: 'acct', name: 'spend', type: 'float' },
    { view: 'acct', name: 'plan', type: 'category' },
    { view: 'acct', name: 'active', type: 'bool' },
  ],
});

async function storeOnnxArtifact(
  manifest: OnnxManifest,
  weights: number[],
  bias: number,
): Promise<{ store: LocalArtifactStore; digest: string; uri: string }> {
  const store = new LocalArtifactStore(temp());
  const dir = temp();
  writeFileSync(join(dir, 'model.onnx'), linearOnnx({ weights, bias, sigmoid: true }));
  writeFileSync(join(dir, 'rudder-onnx.json'), JSON.stringify(manifest));
  const ref = await store.putDir(dir);
  return { store, digest: ref.digest, uri: ref.uri };
}

const manifest: OnnxManifest = {
  format: 'rudder.onnx',
  version: 1,
  input: 'features',
  columns: [
    { ref: 'acct:spend', type: 'float' },
    { ref: 'acct:plan', type: 'category', vocab: ['basic', 'pro'] },
    { ref: 'acct:active', type: 'bool' },
  ],
  classes: [0, 1],
};
// Inputs: spend, plan=basic, plan=pro, plan=other, active.
const W = [0.01, -1, 1, 0.5, 2];
const sigmoid = (z: number): number => 1 / (1 + Math.exp(-z));

describe('OnnxRuntime (onnxruntime-node, CPU)', () => {
  test('GIVEN a stored model.onnx WHEN rows are predicted THEN inputs are built as the contract says (raw numbers, NaN for missing, one-hot + other slot)', async () => {
    const { store, digest, uri } = await storeOnnxArtifact(manifest, W, -0.5);
    const m = await new OnnxRuntime(store).load(model, 3, { digest, uri, size: 0 });
    expect(m.digest).toBe(digest);
    const out = await m.predict([
      { 'acct:spend': 100, 'acct:plan': 'pro', 'acct:active': true },
      { 'acct:spend': null, 'acct:plan': 'enterprise', 'acct:active': false },
      { 'acct:spend': 50, 'acct:plan': null, 'acct:active': null },
    ]);
    // The fixture graph imputes NaN with 0 (a real export imputes with the training mean).
    expect(out[0]!.score).toBeCloseTo(sigmoid(1 + 1 + 2 - 0.5), 5);
    expect(out[1]!.score).toBeCloseTo(sigmoid(0.5 - 0.5), 5);
    expect(out[2]!.score).toBeCloseTo(sigmoid(0.5 + 0.5 - 0.5), 5);
    expect(out[0]!.label).toBe(1);
    await m.dispose();
  });

  test('a value of the wrong type is an error naming the feature', async () => {
    const { store, digest, uri } = await storeOnnxArtifact(manifest, W, 0);
    const m = await new OnnxRuntime(store).load(model, 1, { digest, uri, size: 0 });
    const err = await m
      .predict([{ 'acct:spend': 'lots', 'acct:plan': 'pro', 'acct:active': true }])
      .catch((e: unknown) => e);
    expect(err).toBeInstanceOf(FeatureValueError);
    expect((err as FeatureValueError).field).toBe('acct:spend');
  });

  test('a manifest whose columns differ from the model is refused at load', async () => {
    const { store, digest, uri } = await storeOnnxArtifact(
      { ...manifest, columns: manifest.columns.slice(0, 2) },
      W.slice(0, 4),
      0,
    );
    await expect(new OnnxRuntime(store).load(model, 1, { digest, uri, size: 0 })).rejects.toThrow(
      /cannot be served with these features/,
    );
  });

  test('a corrupted artifact is refused (digest verified on load)', async () => {
    const { store, digest, uri } = await storeOnnxArtifact(manifest, W, 0);
    // Corrupt every stored blob of the tree: the store's digest check must refuse it.
    const root = store.root;
    const walk = (d: string): string[] =>
      readdirSync(d, { withFileTypes: true }).flatMap((e) =>
        e.isDirectory() ? walk(join(d, e.name)) : [join(d, e.name)],
      );
    const blobs = walk(root).filter((f) => !f.endsWith('.json'));
    for (const f of blobs) writeFileSync(f, 'garbage');
    await expect(new OnnxRuntime(store).load(model, 1, { digest, uri, size: 0 })).rejects.toThrow();
  });

  test('an artifact without model.onnx says what a command trainer must export', async () => {
    const store = new LocalArtifactStore(temp());
    const dir = temp();
    writeFileSync(join(dir, 'model.pt'), 'x');
    const ref = await store.putDir(dir);
    await expect(new OnnxRuntime(store).load(model, 1, { ...ref })).rejects.toThrow(
      /has no model\.onnx and rudder-onnx\.json/,
    );
  });
});

describe('request values → model inputs (shared by both runtimes)', () => {
  test('numbers, booleans and timestamps convert as training read them; nulls become NaN', () => {
    expect(numericValue('v:t', 'timestamp', '2026-01-01T00:00:00Z', 0)).toBe(
      Date.parse('2026-01-01T00:00:00Z') / 1000,
    );
    expect(numericValue('v:b', 'bool', true, 0)).toBe(1);
    expect(Number.isNaN(numericValue('v:x', 'float', null, 0))).toBe(true);
    expect(() => numericValue('v:i', 'int', 1.5, 0)).toThrow(/must be a int/);
    const t = toColumnTable([{ ref: 'v:c', column: 'v__c', type: 'category' }], [{ 'v:c': 3 }, {}]);
    expect(t.text.get('v__c')).toEqual(['3', null]);
  });

  test('TfjsRuntime refuses an artifact that is not a tfjs model', async () => {
    const store = new LocalArtifactStore(temp());
    const dir = temp();
    writeFileSync(join(dir, 'model.onnx'), 'x');
    const ref = await store.putDir(dir);
    await expect(new TfjsRuntime(store).load(model, 1, ref)).rejects.toThrow(/not a Rudder tfjs model/);
  });
});

describe('the trainer registry carries a runtime per trainer type', () => {
  test('command artifacts load through onnxruntime, tfjs artifacts through tfjs', async () => {
    const { store, digest, uri } = await storeOnnxArtifact(manifest, W, 0.25);
    const registry = defaultTrainerRegistry({ store, cwd: temp() });
    const m = await registry.command.runtime.load(model, 7, { digest, uri, size: 0 });
    try {
      const [p] = await m.predict([{ 'acct:spend': 100, 'acct:plan': 'pro', 'acct:active': false }]);
      expect(p!.score).toBeCloseTo(sigmoid(0.01 * 100 + 1 + 0.25), 5);
      expect(m.version).toBe(7);
    } finally {
      await m.dispose();
    }
    // The same ONNX artifact is not a tfjs model: the tfjs entry's runtime says so.
    await expect(registry.tfjs.runtime.load(model, 7, { digest, uri, size: 0 })).rejects.toThrow(
      /not a Rudder tfjs model/,
    );
  });

  test('serving, drift and the registry share the built-in runtimes', () => {
    const store = new LocalArtifactStore(temp());
    const rts = defaultRuntimes(store);
    expect(Object.keys(rts).sort()).toEqual(
      Object.keys(defaultTrainerRegistry({ store, cwd: temp() })).sort(),
    );
  });
});
