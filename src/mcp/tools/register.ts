// Registers each group of tools on the server: read tools answer at once; write tools go through
// the confirmation flow (write-flow.ts) and are registered always, but disabled (so not listed)
// on a read-only server, where read-only.ts refuses a call to one anyway.
import type { RegisteredTool } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { errorResult, toResult, type Runtime } from '../runtime.ts';
import { handleWrite } from '../write-flow.ts';
import {
  confirmationTokenArg,
  writeOutputSchema,
  type Extra,
  type ReadTool,
  type WriteTool,
} from './common.ts';

export function registerReadTools(rt: Runtime, tools: readonly ReadTool[]): void {
  for (const t of tools)
    rt.server.registerTool(
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
          return toResult(await t.run(args, rt.contextFor(extra)));
        } catch (e) {
          rt.log(`${t.name}: ${(e as Error).stack ?? String(e)}`);
          return errorResult({ code: 'mcp/internal', message: `${t.name} failed: ${(e as Error).message}` });
        }
      },
    );
}

export function registerWriteTools(rt: Runtime, tools: readonly WriteTool[]): RegisteredTool[] {
  return tools.map((t) => {
    const registered = rt.server.registerTool(
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
          return await handleWrite(rt, t, args, extra);
        } catch (e) {
          rt.log(`${t.name}: ${(e as Error).stack ?? String(e)}`);
          await rt.record({
            tool: t.name,
            session: rt.sessionOf(extra),
            args,
            outcome: 'refused',
            code: 'mcp/internal',
          });
          return errorResult({ code: 'mcp/internal', message: `${t.name} failed: ${(e as Error).message}` });
        }
      },
    );
    if (!rt.allowWrite) registered.disable();
    return registered;
  });
}
