// `rudder data release <id>`: a quarantine's rows go back to training and serving. The data
// lock is the record (a fresh checkout learns of the release from it); the change is
// committed like any other state change, naming who released what and why.
import { withLock } from '../state/lock-state.ts';
import type { Quarantine } from '../state/types.ts';
import { StoreError } from '../store/port.ts';
import type { Workspace } from '../state/workspace.ts';
import type { ApplyPorts } from './ports.ts';
import { applyError as err } from './refusal.ts';
import {
  recordHandEdit,
  underApplyLock,
  type HandEditOptions,
  type HandEditResult,
} from './under-apply-lock.ts';

/** `reason`: why the rows may be used after all. */
export interface ReleaseOptions extends HandEditOptions {
  id: string;
}

export interface ReleaseResult extends HandEditResult {
  quarantine?: Quarantine;
  policy?: string;
  changed: boolean;
}

/** What a release touches the world through (api.ts passes the defaults). */
export type ReleasePorts = Pick<ApplyPorts, 'load' | 'openStore' | 'publisher'>;

export async function releaseQuarantine(opts: ReleaseOptions, ports: ReleasePorts): Promise<ReleaseResult> {
  const clock = opts.now ?? (() => new Date());
  return underApplyLock<ReleaseResult>(
    opts,
    ports,
    `data release ${opts.id}`,
    (diagnostics, sources) => ({ ok: false, diagnostics, sources, changed: false }),
    async (ws, sources) => {
      const owner = Object.values(ws.lock.data).find((d) => d.quarantines.some((q) => q.id === opts.id));
      if (!owner) return unknownQuarantine(ws, opts.id, sources, ports);
      const q = owner.quarantines.find((x) => x.id === opts.id)!;
      if (q.released)
        return {
          ok: true,
          diagnostics: [],
          sources: sources,
          quarantine: q,
          policy: owner.policy,
          changed: false,
        };

      const store = await ports.openStore(ws);
      try {
        await store.releaseQuarantine(opts.id);
      } catch (e) {
        // A fresh checkout's store has no record yet; the lock below is what counts.
        if (!(e instanceof StoreError && e.code === 'store/unknown-quarantine')) throw e;
      } finally {
        await store.close();
      }
      const action = `data.release:${opts.id}`;
      const released: Quarantine = {
        ...q,
        released: { at: clock().toISOString(), reason: opts.reason, action },
      };
      const next = withLock(ws.lock, {
        ...owner,
        quarantines: owner.quarantines.map((x) => (x.id === q.id ? released : x)),
      });
      const commit = await recordHandEdit(
        ws,
        ports.publisher,
        next,
        {
          action,
          subject: `release quarantine ${q.id} (${q.rows} rows of ${q.view}.${q.column ?? '?'}, ${q.detector})`,
          body: `Reason: ${opts.reason}`,
        },
        opts,
      );
      return {
        ok: true,
        diagnostics: [],
        sources: sources,
        quarantine: released,
        policy: owner.policy,
        changed: true,
        commit,
      };
    },
  );
}

/** Why `id` cannot be released: a scan found it but apply has not recorded it yet, or nothing knows it. */
async function unknownQuarantine(
  ws: Workspace,
  id: string,
  sources: Map<string, string>,
  ports: ReleasePorts,
): Promise<ReleaseResult> {
  const active = Object.values(ws.lock.data).flatMap((d) =>
    d.quarantines.filter((q) => !q.released).map((q) => q.id),
  );
  const store = await ports.openStore(ws);
  const seen = await store.listQuarantines().finally(() => store.close());
  const local = seen.some((q) => q.id === id);
  return {
    ok: false,
    diagnostics: [
      err(
        'data/unknown-quarantine',
        local
          ? `quarantine ${id} was found by a scan but is not recorded in state/ yet`
          : `no data lock records quarantine ${JSON.stringify(id)}`,
        local
          ? "rudder apply records the data policy's quarantines; release it after that."
          : active.length
            ? `Active quarantines: ${active.slice(0, 10).join(', ')}`
            : 'No quarantine is active.',
      ),
    ],
    sources,
    changed: false,
  };
}
