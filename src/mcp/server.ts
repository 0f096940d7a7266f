// The Rudder MCP server: read tools always, write tools listed only with --allow-write, and every
// write through plan → confirmation (elicitation or a single-use token) → api.apply → commit.
// Logs go to stderr only: stdout is the protocol on stdio.
import type { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import { SubscribeRequestSchema, UnsubscribeRequestSchema } from '@modelcontextprotocol/sdk/types.js';
import { RUDDER_VERSION } from '../util/version.ts';
import { registerPrompts } from './prompts.ts';
import { GuardedMcpServer } from './read-only.ts';
import { registerResources } from './resources.ts';
import {
  createRuntime,
  errorResult,
  writesDisabled,
  type RudderMcpOptions,
  type Runtime,
} from './runtime.ts';
import type { WriteTool } from './tools/common.ts';
import { readTools } from './tools/read.ts';
import { registerReadTools, registerWriteTools } from './tools/register.ts';
import { writeTools } from './tools/write.ts';

export { actorOf, type RudderMcpOptions } from './runtime.ts';

export interface RudderMcp {
  server: McpServer;
  /** Names of the tools this server lists. */
  tools: string[];
}

const INSTRUCTIONS =
  'Rudder operates ML models from policies in git. Read tools observe; write tools (when enabled) never act on the first call: they return the plan and ask for confirmation. Show the plan to the person and only confirm what they approved.';

export function createRudderMcpServer(opts: RudderMcpOptions): RudderMcp {
  const server = new GuardedMcpServer(
    { name: 'rudder', title: 'Rudder', version: RUDDER_VERSION },
    {
      capabilities: {
        tools: { listChanged: true },
        resources: { subscribe: true, listChanged: true },
        prompts: { listChanged: true },
        logging: {},
      },
      instructions: INSTRUCTIONS,
    },
  );
  const rt = createRuntime(server, opts);
  const extraTools = opts.tools ?? [];
  const reads = [...readTools, ...extraTools.filter((t) => t.kind === 'read')];
  const writes = [...writeTools, ...extraTools.filter((t): t is WriteTool => t.kind === 'write')];
  registerReadTools(rt, reads);
  registerWriteTools(rt, writes);
  if (!rt.allowWrite) refuseWrites(server, rt, new Set(writes.map((t) => t.name)));
  registerSubscriptions(rt);
  registerResources(server, { cwd: opts.cwd, policiesDir: opts.policiesDir, plans: rt.plans });
  registerPrompts(server, { allowWrite: rt.allowWrite });
  return { server, tools: [...reads, ...(rt.allowWrite ? writes : [])].map((t) => t.name) };
}

/** A write tool is not listed on a read-only server; a call to one anyway is refused with a reason and audited. */
function refuseWrites(server: GuardedMcpServer, rt: Runtime, names: ReadonlySet<string>): void {
  server.refuseCalls((name, args, sessionId) => {
    if (!names.has(name)) return undefined;
    delete args.confirmationToken;
    const session = rt.sessionOf({ sessionId });
    return rt
      .record({ tool: name, session, args, outcome: 'refused', code: 'mcp/writes-disabled' })
      .then(() => errorResult(writesDisabled(name)));
  });
}

/** Clients subscribe to resources; each write tells them what changed. */
function registerSubscriptions(rt: Runtime): void {
  rt.server.server.setRequestHandler(SubscribeRequestSchema, (req) => {
    rt.subscriptions.add(req.params.uri);
    return {};
  });
  rt.server.server.setRequestHandler(UnsubscribeRequestSchema, (req) => {
    rt.subscriptions.delete(req.params.uri);
    return {};
  });
}
