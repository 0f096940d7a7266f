// The MCP audit log: one JSON line per write request outcome under .rudder/mcp-audit.jsonl —
// every refused, declined or expired write, and the applied ones with their commit. Arguments
// are recorded without the confirmation token; no secret is ever written.
import { appendFile, mkdir } from 'node:fs/promises';
import { dirname, join } from 'node:path';

export type AuditOutcome =
  | 'requires-confirmation'
  | 'applied'
  | 'nothing-to-do'
  | 'failed'
  | 'cancelled'
  | 'refused'
  | 'declined'
  | 'expired'
  | 'stale';

export interface AuditEntry {
  at: string;
  tool: string;
  outcome: AuditOutcome;
  /** `mcp:<client>/<version>`. */
  actor: string;
  session: string;
  args: Record<string, unknown>;
  approvedBy?: 'elicitation' | 'token';
  digest?: string;
  code?: string;
  message?: string;
  commit?: string;
}

export const AUDIT_FILE = join('.rudder', 'mcp-audit.jsonl');

const SECRETISH = /token|secret|password|passwd|credential|authorization|api[-_]?key/i;

/** Arguments as they may be logged: the confirmation token and anything named like a secret are dropped. */
export function auditableArgs(args: Record<string, unknown>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(args).filter(([k]) => !SECRETISH.test(k)));
}

export class AuditLog {
  readonly path: string;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    root: string,
    private readonly onError: (e: Error) => void = () => {},
  ) {
    this.path = join(root, AUDIT_FILE);
  }

  /** Appends in call order; a failing write is reported on stderr, never thrown into a tool call. */
  append(entry: AuditEntry): Promise<void> {
    const line = `${JSON.stringify({ ...entry, args: auditableArgs(entry.args) })}\n`;
    this.queue = this.queue
      .then(async () => {
        await mkdir(dirname(this.path), { recursive: true });
        await appendFile(this.path, line, { mode: 0o600 });
      })
      .catch((e: unknown) => this.onError(e as Error));
    return this.queue;
  }
}
