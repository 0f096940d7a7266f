// The built-in model runtimes, one per trainer type: tfjs artifacts natively, command-trainer
// artifacts as ONNX. Each loads its engine (tfjs, onnxruntime-node) on first use, so a command
// that never predicts never pays for loading either.
import type { ArtifactStore } from '../artifacts/port.ts';
import type { TrainerType } from './registry.ts';
import type { ModelRuntime } from './runtime.ts';

/** A runtime per trainer type. Exhaustive: a trainer type without a runtime does not build. */
export type RuntimeRegistry = { readonly [T in TrainerType]: ModelRuntime };

export function defaultRuntimes(store: ArtifactStore): RuntimeRegistry {
  return {
    tfjs: lazy(async () => new (await import('./tfjs/runtime.ts')).TfjsRuntime(store)),
    command: lazy(async () => new (await import('./onnx/runtime.ts')).OnnxRuntime(store)),
  };
}

function lazy(open: () => Promise<ModelRuntime>): ModelRuntime {
  let runtime: Promise<ModelRuntime> | undefined;
  return {
    async load(model, version, artifact) {
      runtime ??= open();
      return (await runtime).load(model, version, artifact);
    },
  };
}
