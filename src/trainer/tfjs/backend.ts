// TensorFlow.js backend selection. Preference: tfjs-node-gpu (CUDA) → tfjs-node → wasm → pure
// JS `cpu`. The two native packages are optional dependencies whose install downloads
// libtensorflow, so they are often absent: what actually loads is detected at run time, and the
// backend used is recorded with every model version.
import { tf } from './tf.ts';
import type { Backend } from '../../compiler/desired-state.ts';

export type BackendName = Exclude<Backend, 'auto'>;
export const BACKEND_PREFERENCE: readonly BackendName[] = ['tensorflow-gpu', 'tensorflow', 'wasm', 'cpu'];
export const BACKEND_ENV = 'RUDDER_TF_BACKEND';

export interface BackendChoice {
  name: BackendName;
  /** What the lock records: `tfjs/tensorflow-gpu`, `tfjs/tensorflow`, `tfjs/wasm`, `tfjs/cpu`. */
  label: string;
  /** Why each preferred backend before it was skipped. */
  skipped: { name: BackendName; reason: string }[];
}

export class BackendError extends Error {
  override name = 'BackendError';
}

const NATIVE_PACKAGE: Partial<Record<BackendName, string>> = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
};
const TF_NAME: Record<BackendName, string> = {
  'tensorflow-gpu': 'tensorflow',
  tensorflow: 'tensorflow',
  wasm: 'wasm',
  cpu: 'cpu',
};

const loaded = new Map<BackendName, Promise<void>>();

async function load(name: BackendName): Promise<void> {
  const pkg = NATIVE_PACKAGE[name];
  if (pkg) {
    // A variable specifier keeps TypeScript and bundlers from requiring the optional package.
    const spec: string = pkg;
    await import(spec);
    if (!tf.engine().registryFactory[TF_NAME[name]])
      throw new BackendError(
        `${pkg} loaded but registered no 'tensorflow' backend with this @tensorflow/tfjs (are the versions the same?)`,
      );
  } else if (name === 'wasm') {
    await import('@tensorflow/tfjs-backend-wasm');
  }
  if (!(await tf.setBackend(TF_NAME[name])))
    throw new BackendError(`the ${TF_NAME[name]} backend failed to initialize`);
  if (name === 'tensorflow-gpu') {
    // tfjs-node-gpu falls back to the CPU build of libtensorflow silently when CUDA is missing.
    const gpu = (tf.backend() as unknown as { isUsingGpuDevice?: boolean }).isUsingGpuDevice;
    if (gpu === false) throw new BackendError('@tensorflow/tfjs-node-gpu found no usable GPU');
  }
}

function tryLoad(name: BackendName): Promise<void> {
  let p = loaded.get(name);
  if (!p) {
    p = load(name);
    loaded.set(name, p);
    // A failure is remembered: retrying a missing native module on every training is pointless.
  }
  return p;
}

/** The requested backend: `RUDDER_TF_BACKEND` overrides the spec, so an operator can pin a machine. */
export function requestedBackend(spec: Backend, env: NodeJS.ProcessEnv = process.env): Backend {
  const forced = env[BACKEND_ENV]?.trim();
  if (!forced) return spec;
  if (forced !== 'auto' && !BACKEND_PREFERENCE.includes(forced as BackendName))
    throw new BackendError(
      `${BACKEND_ENV}=${JSON.stringify(forced)} is not a backend (use auto, ${BACKEND_PREFERENCE.join(', ')})`,
    );
  return forced as Backend;
}

/**
 * Activate a backend: the forced one (failing loudly if it cannot load) or, for `auto`, the
 * first in the preference order that loads.
 */
export async function selectBackend(requested: Backend): Promise<BackendChoice> {
  const skipped: BackendChoice['skipped'] = [];
  const candidates = requested === 'auto' ? BACKEND_PREFERENCE : [requested];
  for (const name of candidates) {
    try {
      await tryLoad(name);
      if (!(await tf.setBackend(TF_NAME[name])))
        throw new BackendError(`the ${TF_NAME[name]} backend failed to initialize`);
      await tf.ready();
      // Prod mode skips per-op NaN checks and debug bookkeeping; results are identical.
      tf.enableProdMode();
      return { name, label: `tfjs/${name}`, skipped };
    } catch (e) {
      const reason = e instanceof Error ? e.message.split('\n')[0]! : String(e);
      if (requested !== 'auto') {
        const pkg = NATIVE_PACKAGE[name];
        throw new BackendError(
          `backend ${name} was requested but cannot be used: ${reason}${pkg ? ` (install ${pkg}; its install downloads libtensorflow and needs internet access)` : ''}`,
        );
      }
      skipped.push({ name, reason });
    }
  }
  throw new BackendError(
    `no TensorFlow.js backend could be loaded: ${skipped.map((s) => `${s.name}: ${s.reason}`).join('; ')}`,
  );
}

let queue: Promise<unknown> = Promise.resolve();

/**
 * Run `fn` with `backend` active. The tfjs backend is process-global, so trainings in one process
 * take turns; parallel trials belong in worker threads or processes.
 */
export function withBackend<T>(requested: Backend, fn: (choice: BackendChoice) => Promise<T>): Promise<T> {
  const run = queue.then(async () => fn(await selectBackend(requested)));
  queue = run.catch(() => undefined);
  return run;
}
