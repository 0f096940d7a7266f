import { status } from '../../api/state.ts';
import { formatPretty } from '../../diagnostics/format-pretty.ts';
import type { StatusReport } from '../../api/state.ts';
import { ExitCode, type CommandIO } from '../io.ts';

export interface StatusCommandOptions {
  cwd: string;
  json: boolean;
}

/** `rudder status`: every resource's current state in one table (or JSON). 1 when a lockfile is broken. */
export async function statusCommand(opts: StatusCommandOptions, io: CommandIO): Promise<number> {
  const r = await status({ cwd: opts.cwd });
  if (opts.json) {
    const { sources: _sources, lock, ...rest } = r;
    io.stdout(`${JSON.stringify({ ...rest, locks: lock }, null, 2)}\n`);
  } else {
    io.stdout(renderStatus(r));
  }
  const shown = r.diagnostics.filter((d) => d.severity !== 'info' || d.code === 'lock/interrupted-write');
  if (shown.length > 0) io.stderr(formatPretty(shown, r.sources, { color: io.color }));
  return r.ok ? ExitCode.ok : ExitCode.error;
}

export function renderStatus(r: StatusReport): string {
  const out: string[] = [
    `Project ${r.project}: state in ${r.stateDir}/${r.policies === 'compiled' ? '' : ' (policies do not compile: showing lockfiles only)'}`,
  ];
  if (r.resources.length === 0) out.push('No resources yet: run rudder plan, then rudder apply.');
  else {
    const rows = [['KIND', 'NAME', 'STATE', 'UPDATED', 'DETAIL']];
    for (const x of r.resources) {
      const note = x.declared === false ? ' (not in policies)' : '';
      rows.push([x.kind, x.name, `${x.state}${note}`, x.updated ? shortTime(x.updated) : '-', x.detail]);
    }
    const w = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
    for (const row of rows)
      out.push(row.map((c, i) => (i === row.length - 1 ? c : c.padEnd(w[i]!))).join('  '));
  }
  const l = r.applyLock;
  if (l) {
    out.push(
      `Apply lock: held by ${l.owner} (${l.operation}, pid ${l.pid} on ${l.host}, since ${l.startedAt}, id ${l.id})${l.stale ? ` — stale: that process is gone; the next apply takes it over, or run rudder unlock ${l.id}` : ''}`,
    );
  }
  if (r.interruptedWrite)
    out.push('An interrupted state write was found: shown as completed; the next apply finishes it on disk.');
  if (!r.git.available) out.push(`Git: ${r.git.message}`);
  else if (r.git.uncommitted.length > 0)
    out.push(`Uncommitted state changes: ${r.git.uncommitted.join(', ')}`);
  return `${out.join('\n')}\n`;
}

/** `2026-05-03T14:00:00.000Z` → `2026-05-03 14:00Z` */
function shortTime(iso: string): string {
  const m = /^(\d{4}-\d{2}-\d{2})T(\d{2}:\d{2})/.exec(iso);
  return m ? `${m[1]} ${m[2]}Z` : iso;
}
