// What the tools of one Rudder MCP server share: its options, the context each call sees, the
// audit log every write outcome goes to, and how replies and errors look on the wire.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import * as api from '../api/index.ts';
import type { ApplyOptions, GitHubTarget } from '../api/index.ts';
import { AuditLog, type AuditEntry } from './audit.ts';
import { Confirmations } from './confirm.ts';
import {
  PlanCache,
  type AnyTool,
  type Extra,
  type Prepared,
  type ToolContext,
  type ToolError,
  type ToolReply,
} from './tools/common.ts';

export interface RudderMcpOptions {
  /** Repository root. */
  cwd: string;
  policiesDir?: string;
  /** List and run write tools (each still needs confirmation). Default false. */
  allowWrite?: boolean;
  /** The clock (plans, token expiry, audit). Default: now. */
  now?: () => Date;
  /** Shared across the sessions of one HTTP server; default one per server. */
  confirmations?: Confirmations<Prepared>;
  confirmTtlMs?: number;
  audit?: AuditLog;
  /** Trainer overrides (tests); default tfjs and command trainers. */
  trainers?: ApplyOptions['trainers'];
  /** Where log lines go. Default: stderr. Never stdout. */
  log?: (line: string) => void;
  /** Extra tools (read or write) registered like the built-in ones. */
  tools?: AnyTool[];
  /**
   * Where propose_policy_change opens pull requests. Default 'auto': when rudder.yaml enables
   * git.pullRequest and a token (GITHUB_TOKEN) and repository can be resolved; 'off': never.
   */
  github?: GitHubTarget | 'auto' | 'off';
}

/** One server's shared state and services, handed to each group of tools. */
export interface Runtime {
  server: McpServer;
  opts: RudderMcpOptions;
  allowWrite: boolean;
  now: () => Date;
  log: (line: string) => void;
  plans: PlanCache;
  confirmations: Confirmations<Prepared>;
  /** Resource URIs clients subscribed to (notified after each write). */
  subscriptions: Set<string>;
  contextFor(extra: Extra): ToolContext;
  /** The transport's session, or (stdio, in-memory) this server instance. */
  sessionOf(extra: { sessionId?: string }): string;
  actor(): `mcp:${string}`;
  /** Awaited before the reply: a refusal the client saw is already in the log. */
  record(e: Omit<AuditEntry, 'at' | 'actor'>): Promise<void>;
}

export function createRuntime(server: McpServer, opts: RudderMcpOptions): Runtime {
  const log = opts.log ?? ((line: string) => process.stderr.write(`rudder mcp: ${line}\n`));
  const now = opts.now ?? (() => new Date());
  const audit = opts.audit ?? new AuditLog(opts.cwd, (e) => log(`audit log: ${e.message}`));
  const plans = new PlanCache();
  const instanceSession = randomUUID();
  const actor = () => actorOf(server.server.getClientVersion());
  return {
    server,
    opts,
    allowWrite: opts.allowWrite ?? false,
    now,
    log,
    plans,
    confirmations: opts.confirmations ?? new Confirmations<Prepared>({ now, ttlMs: opts.confirmTtlMs }),
    subscriptions: new Set(),
    contextFor: (extra) => toolContext(opts, { now, plans, log }, extra),
    sessionOf: (extra) => extra.sessionId ?? instanceSession,
    actor,
    record: (e) => audit.append({ at: now().toISOString(), actor: actor(), ...e }),
  };
}

function toolContext(
  opts: RudderMcpOptions,
  shared: Pick<ToolContext, 'now' | 'plans' | 'log'>,
  extra: Extra,
): ToolContext {
  let step = 0;
  const token = extra._meta?.progressToken;
  return {
    cwd: opts.cwd,
    policiesDir: opts.policiesDir,
    ...shared,
    trainers: opts.trainers,
    github: () =>
      opts.github === 'off'
        ? Promise.resolve(undefined)
        : opts.github == null || opts.github === 'auto'
          ? autoGitHub(opts.cwd)
          : Promise.resolve(opts.github),
    extra,
    progress: async (message, total) => {
      if (token === undefined) return;
      step += 1;
      await extra
        .sendNotification({
          method: 'notifications/progress',
          params: { progressToken: token, progress: step, ...(total ? { total } : {}), message },
        })
        .catch(() => undefined);
    },
  };
}

/** The GitHub target rudder.yaml and the environment describe, or undefined when not configured. */
async function autoGitHub(cwd: string): Promise<GitHubTarget | undefined> {
  const v = await api.validate({ cwd, checkPaths: false });
  const project = v.state?.project;
  if (!project?.git.pullRequest.enabled) return undefined;
  const remoteUrl = await new Promise<string | undefined>((done) =>
    execFile('git', ['config', '--get', `remote.${project.git.remote}.url`], { cwd }, (e, out) =>
      done(e ? undefined : out.trim()),
    ),
  );
  try {
    return api.resolveGitHubTarget({
      env: process.env,
      projectRepository: project.git.pullRequest.repository,
      remoteUrl,
    });
  } catch {
    return undefined;
  }
}

const sanitize = (s: string, max: number) => s.replace(/[^A-Za-z0-9._+-]/g, '-').slice(0, max) || 'unknown';

/** `mcp:<client name>/<version>` from the client's initialize request. */
export function actorOf(client: { name: string; version: string } | undefined): `mcp:${string}` {
  if (!client) return 'mcp:unknown';
  return `mcp:${sanitize(client.name, 64).replace(/\+/g, '-')}/${sanitize(client.version, 32)}`;
}

export const errorResult = (e: ToolError): CallToolResult => ({
  isError: true,
  content: [
    {
      type: 'text',
      text: `${e.code}: ${e.message}${e.hint ? `\nhint: ${e.hint}` : ''}`,
    },
  ],
  structuredContent: { error: { code: e.code, message: e.message, ...(e.hint ? { hint: e.hint } : {}) } },
  _meta: e.diagnostics ? { 'dev.rudder/diagnostics': e.diagnostics } : undefined,
});

export function toResult(r: ToolReply<Record<string, unknown>>): CallToolResult {
  if (!r.ok) return errorResult(r.error);
  return { content: [{ type: 'text', text: r.text }], structuredContent: r.value };
}

export function writesDisabled(tool: string): ToolError {
  return {
    code: 'mcp/writes-disabled',
    message: `${tool} is a write tool, and this server was started read-only`,
    hint: 'Restart the server with rudder mcp --allow-write to enable write tools (each write still asks for confirmation).',
  };
}
