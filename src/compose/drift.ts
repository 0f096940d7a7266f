// `rudder drift`: load the workspace, open the drift ports (src/ports.ts), report
// (src/observe/drift-run.ts). Re-exported by src/api/monitoring.ts.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { DriftReport } from '../observe/drift.ts';
import { driftOf, type DriftOptions } from '../observe/drift-run.ts';
import { defaultDriftPorts } from './default-ports.ts';
import { loadWorkspace, openStore } from './workspace.ts';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface DriftRunOptions extends DriftOptions {
  cwd: string;
  /** Read the prediction log under .rudder/predictions when it has rows. Default true. */
  predictionLog?: boolean;
}

export type DriftRunResult =
  | { ok: true; report: DriftReport; diagnostics: Diagnostic[]; sources: Map<string, string> }
  | { ok: false; diagnostics: Diagnostic[]; sources: Map<string, string>; error?: string };

export async function drift(opts: DriftRunOptions): Promise<DriftRunResult> {
  const ws = await loadWorkspace({ cwd: opts.cwd });
  if (!ws.ok) return ws;
  const ports = defaultDriftPorts(ws.value, { predictionLog: opts.predictionLog !== false });
  // The label window is a training set of the window's label rows: the store builds it in scratch space.
  const store = await openStore(ws.value);
  const workDir = await mkdtemp(join(tmpdir(), 'rudder-drift-'));
  try {
    const r = await driftOf(ws.value, opts, { ...ports, store, workDir });
    return r.ok
      ? { ok: true, report: r.report, diagnostics: ws.diagnostics, sources: ws.sources }
      : { ok: false, diagnostics: ws.diagnostics, sources: ws.sources, error: r.error };
  } finally {
    await ports.close();
    await store.close();
    await rm(workDir, { recursive: true, force: true });
  }
}
