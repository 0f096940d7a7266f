// `rudder rollout release <model> <version>`: a person releases the hold a rollback put on a
// version. The version becomes a candidate again, so the next plan gates and rolls it out as
// its RolloutPolicy says. Like a quarantine release, the model lock is the record and the
// change is committed, naming who released what and why.
import type { Diagnostic } from '../diagnostics/diagnostic.ts';
import type { ApprovedBy } from '../git/message.ts';
import { diffLockStates, withLock } from '../state/lock-state.ts';
import { writeLockChanges } from '../state/state-io.ts';
import type { Actor, ModelVersion } from '../state/types.ts';
import type { ApplyPorts } from './ports.ts';
import { underApplyLock } from './under-apply-lock.ts';

export interface ReleaseHoldOptions {
  cwd: string;
  model: string;
  version: number;
  /** Why it may be rolled out again: recorded in the lock and the commit. */
  reason: string;
  actor: Actor;
  approvedBy?: ApprovedBy;
  now?: () => Date;
  lockTimeoutMs?: number;
  onNotice?: (message: string) => void;
}

export interface ReleaseHoldResult {
  ok: boolean;
  diagnostics: Diagnostic[];
  sources: Map<string, string>;
  version?: ModelVersion;
  commit?: { sha?: string; message: string };
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
      const changes = diffLockStates(ws.lock, next, ws.desired.project.stateDir);
      await writeLockChanges(ws.root, ws.desired.project.stateDir, changes);
      const published = await ports.publisher.publish({
        root: ws.root,
        git: ws.desired.project.git,
        files: changes.map((c) => c.path),
        subject: `release the hold on ${opts.model} v${opts.version}`,
        body: `Reason: ${opts.reason}\n\nThe next plan gates it and rolls it out as its RolloutPolicy says.`,
        trailers: { actions: [action], actor: opts.actor, approvedBy: opts.approvedBy },
        onNotice: opts.onNotice,
      });
      return {
        ok: true,
        diagnostics: [],
        sources: sources,
        version: released,
        commit: published.commit.committed
          ? { sha: published.commit.sha, message: published.commit.message }
          : { message: published.commit.message },
      };
    },
  );
}
