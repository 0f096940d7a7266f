// The Rudder MCP server: read tools always, write tools only with --allow-write, and every write
// through plan → confirmation (elicitation or a single-use token) → api.apply → commit.
// Logs go to stderr only: stdout is the protocol on stdio.
import { execFile } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import {
  CallToolRequestSchema,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  type CallToolResult,
} from '@modelcontextprotocol/sdk/types.js';
import * as api from '../api/index.ts';
import type { ApplyEvent, ApplyOptions, GitHubTarget } from '../api/index.ts';
import { RUDDER_VERSION } from '../workspace.ts';
import { AuditLog, type AuditEntry } from './audit.ts';
import { Confirmations } from './confirm.ts';
import { registerPrompts } from './prompts.ts';
import { registerResources } from './resources.ts';
import {
  confirmationTokenArg,
  PlanCache,
  writeOutputSchema,
  type AnyTool,
  type Extra,
  type Prepared,
  type ToolContext,
  type ToolError,
  type ToolReply,
  type WriteTool,
} from './tools/common.ts';
import { readTools } from './tools/read.ts';
import { writeTools } from './tools/write.ts';

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

export interface RudderMcp {
  server: McpServer;
  /** Names of the tools this server lists. */
  tools: string[];
}

const sanitize = (s: string, max: number) => s.replace(/[^A-Za-z0-9._+-]/g, '-').slice(0, max) || 'unknown';

/** `mcp:<client name>/<version>` from the client's initialize request. */
export function actorOf(client: { name: string; version: string } | undefined): `mcp:${string}` {
  if (!client) return 'mcp:unknown';
  return `mcp:${sanitize(client.name, 64).replace(/\+/g, '-')}/${sanitize(client.version, 32)}`;
}

const errorResult = (e: ToolError): CallToolResult => ({
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

export function createRudderMcpServer(opts: RudderMcpOptions): RudderMcp {
  const log = opts.log ?? ((line: string) => process.stderr.write(`rudder mcp: ${line}\n`));
  const now = opts.now ?? (() => new Date());
  const allowWrite = opts.allowWrite ?? false;
  const confirmations = opts.confirmations ?? new Confirmations<Prepared>({ now, ttlMs: opts.confirmTtlMs });
  const audit = opts.audit ?? new AuditLog(opts.cwd, (e) => log(`audit log: ${e.message}`));
  const plans = new PlanCache();
  // Without a transport session (stdio, in-memory), the server instance is the session.
  const instanceSession = randomUUID();

  const server = new McpServer(
    { name: 'rudder', title: 'Rudder', version: RUDDER_VERSION },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
      },
      instructions:
        'Rudder operates ML models from policies in git. Read tools observe; write tools (when enabled) never act on the first call: they return the plan and ask for confirmation. Show the plan to the person and only confirm what they approved.',
    },
  );

  const extraTools = opts.tools ?? [];
  const reads = [...readTools, ...extraTools.filter((t) => t.kind === 'read')];
  const writes = [...writeTools, ...extraTools.filter((t): t is WriteTool => t.kind === 'write')];
  const writeNames = new Set(writes.map((t) => t.name));

  const contextFor = (extra: Extra): ToolContext => {
    let step = 0;
    const token = extra._meta?.progressToken;
    return {
      cwd: opts.cwd,
      policiesDir: opts.policiesDir,
      now,
      plans,
      trainers: opts.trainers,
      github: () =>
        opts.github === 'off'
          ? Promise.resolve(undefined)
          : opts.github == null || opts.github === 'auto'
            ? autoGitHub(opts.cwd)
            : Promise.resolve(opts.github),
      extra,
      log,
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
  };

  const sessionOf = (extra: Extra) => extra.sessionId ?? instanceSession;
  const actor = () => actorOf(server.server.getClientVersion());
  // Awaited before the reply: a refusal the client saw is already in the log.
  const record = (e: Omit<AuditEntry, 'at' | 'actor'>): Promise<void> =>
    audit.append({ at: now().toISOString(), actor: actor(), ...e });

  const listed: string[] = [];

  for (const t of reads) {
    listed.push(t.name);
    server.registerTool(
      t.name,
      {
        title: t.title,
        description: t.description,
        inputSchema: t.input,
        outputSchema: t.output,
        annotations: { title: t.title, ...t.annotations },
      },
      async (args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> => {
        try {
          return toResult(await t.run(args, contextFor(extra)));
        } catch (e) {
          log(`${t.name}: ${(e as Error).stack ?? String(e)}`);
          return errorResult({ code: 'mcp/internal', message: `${t.name} failed: ${(e as Error).message}` });
        }
      },
    );
  }

  const afterWrite = async () => {
    server.sendResourceListChanged();
    for (const uri of subscriptions) await server.server.sendResourceUpdated({ uri }).catch(() => undefined);
  };

  const runWrite = async (
    t: WriteTool,
    args: Record<string, unknown>,
    prepared: Prepared,
    approvedBy: 'elicitation' | 'token',
    extra: Extra,
  ): Promise<CallToolResult> => {
    const ctx = contextFor(extra);
    const total = prepared.actions.length;
    const onEvent = (e: ApplyEvent) => {
      const msg =
        e.type === 'notice'
          ? e.message
          : e.type === 'action-start'
            ? `${e.action.id}: started`
            : `${e.action.id}: ${e.type.slice(7)}${'message' in e ? ` — ${e.message.split('\n')[0]}` : ''}`;
      log(`${t.name}: ${msg}`);
      void ctx.progress(msg, total * 2 || undefined);
    };
    const session = sessionOf(extra);
    const r = await prepared.run({ actor: actor(), approvedBy, signal: extra.signal, onEvent });
    const base = { tool: t.name, session, args, approvedBy, digest: prepared.digest };
    if (!r.ok) {
      await record({
        ...base,
        outcome: r.stale ? 'stale' : 'refused',
        code: r.error.code,
        message: r.error.message,
      });
      return errorResult(r.error);
    }
    await record({
      ...base,
      outcome: extra.signal.aborted ? 'cancelled' : r.failed ? 'failed' : 'applied',
      commit: r.commit?.sha,
      message: r.summary,
    });
    await afterWrite();
    const out = {
      status: r.failed ? ('failed' as const) : ('applied' as const),
      tool: t.name,
      summary: r.summary,
      preview: { digest: prepared.digest, text: prepared.text, actions: prepared.actions },
      approvedBy,
      ...(r.commit ? { commit: r.commit } : {}),
      outcomes: r.outcomes,
      ...(r.details ? { details: r.details } : {}),
    };
    const text = [
      r.summary,
      ...r.outcomes.map((o) => `  ${o.id}: ${o.status}: ${o.message.split('\n')[0]}`),
      r.commit
        ? `Committed ${r.commit.sha?.slice(0, 10) ?? '(not committed)'}: ${r.commit.message.split('\n')[0]}`
        : '',
    ]
      .filter(Boolean)
      .join('\n');
    return {
      content: [{ type: 'text', text }],
      structuredContent: out,
      isError: r.failed ? true : undefined,
    };
  };

  const handleWrite = async (
    t: WriteTool,
    rawArgs: Record<string, unknown>,
    extra: Extra,
  ): Promise<CallToolResult> => {
    const { confirmationToken, ...args } = rawArgs as Record<string, unknown> & {
      confirmationToken?: string;
    };
    const session = sessionOf(extra);
    const binding = { tool: t.name, args, session };
    if (!allowWrite) {
      await record({ tool: t.name, session, args, outcome: 'refused', code: 'mcp/writes-disabled' });
      return errorResult(writesDisabled(t.name));
    }
    if (confirmationToken != null) {
      const r = confirmations.redeem(confirmationToken, binding);
      if (!r.ok) {
        await record({
          tool: t.name,
          session,
          args,
          outcome: r.code === 'confirm/expired' ? 'expired' : 'refused',
          code: r.code,
          message: r.message,
          digest: r.digest,
        });
        return errorResult({ code: r.code, message: r.message, hint: r.hint });
      }
      return runWrite(t, args, r.write, 'token', extra);
    }

    const ctx = contextFor(extra);
    const p = await t.prepare(args, ctx);
    if (!p.ok) {
      await record({
        tool: t.name,
        session,
        args,
        outcome: 'refused',
        code: p.error.code,
        message: p.error.message,
      });
      return errorResult(p.error);
    }
    const prepared = p.value;
    const preview = { digest: prepared.digest, text: prepared.text, actions: prepared.actions };
    if (prepared.empty) {
      await record({ tool: t.name, session, args, outcome: 'nothing-to-do', digest: prepared.digest });
      const summary = 'Nothing to do: the world already matches the policies for this operation.';
      return {
        content: [{ type: 'text', text: `${summary}\n${prepared.text}` }],
        structuredContent: { status: 'nothing_to_do', tool: t.name, summary, preview },
      };
    }

    // The person decides, through the client, when the client can ask them (form elicitation).
    if (server.server.getClientCapabilities()?.elicitation?.form) {
      let answer;
      try {
        answer = await server.server.elicitInput(
          {
            mode: 'form',
            message: `${t.title}: Rudder will apply this plan (${prepared.digest.slice(0, 19)}) and commit the result.\n\n${prepared.text}\n\nApply it?`,
            requestedSchema: {
              type: 'object',
              properties: {
                approve: {
                  type: 'boolean',
                  title: 'Apply this plan',
                  description: `Plan ${prepared.digest.slice(0, 19)}`,
                },
              },
              required: ['approve'],
            },
          },
          { signal: extra.signal },
        );
      } catch (e) {
        await record({
          tool: t.name,
          session,
          args,
          outcome: 'refused',
          code: 'mcp/elicitation-failed',
          message: (e as Error).message,
          digest: prepared.digest,
        });
        return errorResult({
          code: 'mcp/elicitation-failed',
          message: `${t.name}: asking for confirmation failed: ${(e as Error).message}`,
          hint: 'Nothing was applied. Try again.',
        });
      }
      if (answer.action === 'accept' && answer.content?.approve === true)
        return runWrite(t, args, prepared, 'elicitation', extra);
      await record({
        tool: t.name,
        session,
        args,
        outcome: 'declined',
        code: `elicitation/${answer.action}`,
        digest: prepared.digest,
      });
      const summary = `Not applied: the person ${answer.action === 'cancel' ? 'cancelled' : 'declined'} the plan.`;
      return {
        content: [{ type: 'text', text: summary }],
        structuredContent: { status: 'declined', tool: t.name, summary, preview },
      };
    }

    const issued = confirmations.issue(prepared, binding);
    await record({ tool: t.name, session, args, outcome: 'requires-confirmation', digest: prepared.digest });
    const instructions = `Show this plan to the person. Only if they approve it, call ${t.name} again with the same arguments and confirmationToken set to this token (single use, expires ${issued.expiresAt}). Your own decision is not consent.`;
    const summary = `Requires confirmation: ${prepared.actions.length} action(s), plan ${prepared.digest.slice(0, 19)}.`;
    return {
      content: [
        {
          type: 'text',
          text: `requires_confirmation\n${prepared.text}\n\nPlan digest: ${prepared.digest}\n${instructions}\nconfirmationToken: ${issued.token}`,
        },
      ],
      structuredContent: {
        status: 'requires_confirmation',
        tool: t.name,
        summary,
        preview,
        confirmation: { token: issued.token, expiresAt: issued.expiresAt, instructions },
      },
    };
  };

  if (allowWrite)
    for (const t of writes) {
      listed.push(t.name);
      server.registerTool(
        t.name,
        {
          title: t.title,
          description: `${t.description} Write tool: the first call returns the plan and asks for confirmation.`,
          inputSchema: { ...t.input, confirmationToken: confirmationTokenArg },
          outputSchema: writeOutputSchema,
          annotations: { title: t.title, ...t.annotations },
        },
        async (args: Record<string, unknown>, extra: Extra): Promise<CallToolResult> => {
          try {
            return await handleWrite(t, args, extra);
          } catch (e) {
            log(`${t.name}: ${(e as Error).stack ?? String(e)}`);
            await record({
              tool: t.name,
              session: sessionOf(extra),
              args,
              outcome: 'refused',
              code: 'mcp/internal',
            });
            return errorResult({
              code: 'mcp/internal',
              message: `${t.name} failed: ${(e as Error).message}`,
            });
          }
        },
      );
    }
  else {
    // Write tools are not listed; a call to one anyway is refused with a reason and audited.
    // McpServer answers unknown tools itself, so its tools/call handler is wrapped.
    const handlers = (server.server as unknown as { _requestHandlers: Map<string, Handler> })
      ._requestHandlers;
    const inner = handlers.get('tools/call');
    if (!inner) throw new Error('MCP SDK: no tools/call handler to wrap');
    handlers.set('tools/call', async (request, extra) => {
      const parsed = CallToolRequestSchema.safeParse(request);
      const name = parsed.success ? parsed.data.params.name : undefined;
      if (name != null && writeNames.has(name)) {
        const args = { ...(parsed.success ? (parsed.data.params.arguments ?? {}) : {}) };
        delete args.confirmationToken;
        await record({
          tool: name,
          session: sessionOf(extra),
          args,
          outcome: 'refused',
          code: 'mcp/writes-disabled',
        });
        return errorResult(writesDisabled(name));
      }
      return inner(request, extra);
    });
  }

  const subscriptions = new Set<string>();
  server.server.setRequestHandler(SubscribeRequestSchema, (req) => {
    subscriptions.add(req.params.uri);
    return {};
  });
  server.server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
    subscriptions.delete(req.params.uri);
    return {};
  });

  registerResources(server, { cwd: opts.cwd, policiesDir: opts.policiesDir, plans });
  registerPrompts(server, { allowWrite });
  return { server, tools: listed };
}

type Handler = (request: unknown, extra: Extra) => Promise<unknown>;

function writesDisabled(tool: string): ToolError {
  return {
    code: 'mcp/writes-disabled',
    message: `${tool} is a write tool, and this server was started read-only`,
    hint: 'Restart the server with rudder mcp --allow-write to enable write tools (each write still asks for confirmation).',
  };
}

function toResult(r: ToolReply<Record<string, unknown>>): CallToolResult {
  if (!r.ok) return errorResult(r.error);
  return { content: [{ type: 'text', text: r.text }], structuredContent: r.value };
}
