// `rudder drift`: load the workspace, open the drift ports (src/ports.ts), report
// (src/observe/drift-run.ts). Re-exported by src/api/monitoring.ts.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { DriftReport } from '../observe/drift.ts';
import { driftOf, type DriftOptions } from '../observe/drift-run.ts';
import { defaultDriftPorts } from './default-ports.ts';
import { loadWorkspace } from './workspace.ts';

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
  try {
    const r = await driftOf(ws.value, opts, ports);
    return r.ok
      ? { ok: true, report: r.report, diagnostics: ws.diagnostics, sources: ws.sources }
      : { ok: false, diagnostics: ws.diagnostics, sources: ws.sources, error: r.error };
  } finally {
    await ports.close();
  }
}
