// The ports model observations read, for a workspace: the artifact store (profiles, artifacts),
// the prediction log when `rudder serve` has written one, a runtime per trainer type for
// re-scoring labelled rows, and a scratch directory.
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openArtifactStore } from '../artifacts/local.ts';
import { DEFAULT_PREDICTION_LOG_DIR, openPredictionLog } from '../prediction-log/parquet-log.ts';
import { defaultRuntimes } from '../trainer/runtimes.ts';
import type { Workspace } from '../workspace.ts';
import type { ModelObserveContext } from './drift-observations.ts';

export async function monitoringContext(ws: Workspace): Promise<ModelObserveContext> {
  const artifacts = openArtifactStore(ws.root, ws.desired.project.artifacts);
  // Scratch space outside the repository: planning writes nothing there.
  const workDir = await mkdtemp(join(tmpdir(), 'rudder-observe-'));
  const logDir = join(ws.root, DEFAULT_PREDICTION_LOG_DIR);
  // Runtimes load tfjs / onnxruntime only when a version is actually re-scored.
  const runtimes = defaultRuntimes(artifacts);
  const log = existsSync(logDir) ? openPredictionLog(ws.root) : undefined;
  return {
    root: ws.root,
    lock: ws.lock,
    artifacts,
    ...(log ? { log } : {}),
    runtimeFor: (m) => runtimes[m.trainer.type],
    workDir,
    dispose: async () => {
      await log?.close();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
