import { history } from '../../api/state.ts';
import type { HistoryReport } from '../../api/state.ts';
import { ExitCode, type CommandIO } from '../io.ts';

export interface HistoryCommandOptions {
  cwd: string;
  resource: string;
  diff: boolean;
  limit?: number;
  json: boolean;
}

/** `rudder history <resource> [--diff]`: state changes from git, newest first. */
export async function historyCommand(opts: HistoryCommandOptions, io: CommandIO): Promise<number> {
  const r = await history({ cwd: opts.cwd, resource: opts.resource, diff: opts.diff, limit: opts.limit });
  if (opts.json) io.stdout(`${JSON.stringify(r, null, 2)}\n`);
  else if (r.error && r.files.length === 0) {
    io.stderr(`rudder: ${r.error}\n`);
    return ExitCode.error;
  } else io.stdout(renderHistory(r, opts.diff));
  if (!r.git.available && r.git.message) io.stderr(`rudder: ${r.git.message}\n`);
  return r.ok ? ExitCode.ok : ExitCode.error;
}

export function renderHistory(r: HistoryReport, diff: boolean): string {
  const out: string[] = [];
  if (!r.ok) return `${r.error ?? `no history for ${r.resource}`}\n`;
  if (r.git.available) {
    out.push(
      `History of ${r.resource} (${r.entries.length} commit${r.entries.length === 1 ? '' : 's'}; ${r.files.filter((f) => r.entries.some((e) => e.files.includes(f))).join(', ') || 'no commit yet'})`,
    );
    for (const e of r.entries) {
      const reason = e.subject.replace(/^rudder:\s*/, '');
      out.push('');
      out.push(
        `${e.date.replace('T', ' ').replace(/:\d{2}([+-]\d{2}:\d{2}|Z)$/, '$1')}  ${e.sha.slice(0, 10)}  ${e.actor ?? `${e.author.name} (by hand)`}  ${reason}`,
      );
      if (e.plan) out.push(`    plan    ${e.plan}`);
      for (const a of e.actions) out.push(`    action  ${a}`);
      out.push(`    files   ${e.files.join(', ')}`);
      if (diff && e.diff) out.push(e.diff.replace(/\n$/, '').replace(/^/gm, '    '));
    }
  }
  if (!r.git.available || r.entries.length === 0) {
    if (r.recorded.length > 0) {
      out.push(`${out.length ? '\n' : ''}Status changes recorded in the lockfile:`);
      for (const c of r.recorded)
        out.push(
          `${c.at}  v${c.version} ${c.status}  ${c.reason}${c.plan ? `  (plan ${c.plan.slice(0, 19)}…${c.action ? `, ${c.action}` : ''})` : ''}`,
        );
    } else if (out.length === 0) out.push(`No commits touch ${r.files.join(', ')} yet.`);
  }
  return `${out.join('\n')}\n`;
}
