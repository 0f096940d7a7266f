// `rudder rollout release <model> <version>`: a person releases the hold a rollback put on a
// version. The version becomes a candidate again, so the next plan gates and rolls it out as
// its RolloutPolicy says. Like a quarantine release, the model lock is the record and the
// change is committed, naming who released what and why.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import { withLock } from '../state/lock-state.ts';
import type { ModelVersion } from '../state/types.ts';
import type { ApplyPorts } from './ports.ts';
import {
  recordHandEdit,
  underApplyLock,
  type HandEditOptions,
  type HandEditResult,
} from './under-apply-lock.ts';

/** `reason`: why it may be rolled out again. */
export interface ReleaseHoldOptions extends HandEditOptions {
  model: string;
  version: number;
}

export interface ReleaseHoldResult extends HandEditResult {
  version?: ModelVersion;
}

export async function releaseHold(
  opts: ReleaseHoldOptions,
  ports: Pick<ApplyPorts, 'load' | 'publisher'>,
): Promise<ReleaseHoldResult> {
  const clock = opts.now ?? (() => new Date());
  const fail = (sources: Map<string, string>, code: Diagnostic['code'], message: string, hint?: string) => ({
    ok: false,
    diagnostics: [{ code, severity: 'error' as const, message, hint, path: [] }],
    sources,
  });
  return underApplyLock<ReleaseHoldResult>(
    opts,
    ports,
    `rollout release ${opts.model} v${opts.version}`,
    (diagnostics, sources) => ({ ok: false, diagnostics, sources }),
    async (ws, sources) => {
      const ml = ws.lock.models[opts.model];
      if (!ml)
        return fail(
          sources,
          'api/unknown-resource',
          `no model lock records ${JSON.stringify(opts.model)}`,
          `Models with state: ${Object.keys(ws.lock.models).join(', ') || '(none)'}`,
        );
      const v = ml.versions.find((x) => x.version === opts.version);
      if (!v)
        return fail(
          sources,
          'api/unknown-version',
          `${opts.model} has no v${opts.version}`,
          `Versions: ${ml.versions.map((x) => `v${x.version} (${x.status})`).join(', ')}`,
        );
      if (v.status !== 'held') {
        const held = ml.versions.filter((x) => x.status === 'held').map((x) => `v${x.version}`);
        return fail(
          sources,
          'api/unknown-version',
          `${opts.model} v${opts.version} is ${v.status}, not held: there is no hold to release`,
          held.length ? `Held: ${held.join(', ')}` : `No version of ${opts.model} is held.`,
        );
      }
      const action = `rollout.release:${opts.model}@v${opts.version}`;
      const released: ModelVersion = {
        ...v,
        status: 'candidate',
        statusHistory: [
          ...v.statusHistory,
          { status: 'candidate', at: clock().toISOString(), reason: `hold released: ${opts.reason}`, action },
        ],
      };
      const next = withLock(ws.lock, {
        ...ml,
        versions: ml.versions.map((x) => (x.version === v.version ? released : x)),
      });
      const commit = await recordHandEdit(
        ws,
        ports.publisher,
        next,
        {
          action,
          subject: `release the hold on ${opts.model} v${opts.version}`,
          body: `Reason: ${opts.reason}\n\nThe next plan gates it and rolls it out as its RolloutPolicy says.`,
        },
        opts,
      );
      return {
        ok: true,
        diagnostics: [],
        sources: sources,
        version: released,
        commit,
      };
    },
  );
}
