import { unlock } from '../../api/run.ts';
import { ExitCode, type CommandIO } from '../io.ts';

export interface UnlockCommandOptions {
  cwd: string;
  id: string;
  force: boolean;
}

/** `rudder unlock <id>`: release the apply lock by hand (after a crashed apply on another machine, say). */
export async function unlockCommand(opts: UnlockCommandOptions, io: CommandIO): Promise<number> {
  const r = await unlock({ cwd: opts.cwd, id: opts.id, force: opts.force });
  if (r.released) {
    const h = r.holder;
    io.stdout(
      `Released apply lock ${h.id} (${h.operation} by ${h.owner}, pid ${h.pid} on ${h.host}, since ${h.startedAt}).\n`,
    );
    return ExitCode.ok;
  }
  if (r.reason === 'free') io.stderr('rudder: no apply lock is held\n');
  else if (r.reason === 'other-id')
    io.stderr(
      `rudder: the apply lock has id ${r.holder!.id}, not ${opts.id} (held by ${r.holder!.owner} for ${r.holder!.operation}); nothing released\n`,
    );
  else
    io.stderr(
      `rudder: the holder of apply lock ${opts.id} (pid ${r.holder!.pid}) is still running on this machine; stop it first, or pass --force\n`,
    );
  return ExitCode.error;
}
