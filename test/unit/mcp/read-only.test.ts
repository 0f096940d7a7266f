// The read-only guard: a transport seen through it answers a tools/call that the refusal names
// itself, and passes every other message to the server untouched.
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { InMemoryTransport } from '@modelcontextprotocol/sdk/inMemory.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { expect, test } from 'vitest';
import { z } from 'zod';
import { GuardedMcpServer } from '../../../src/mcp/read-only.ts';

async function connect(refused: string[]) {
  const server = new GuardedMcpServer({ name: 't', version: '1' }, { capabilities: { tools: {} } });
  const seen: { name: string; args: Record<string, unknown>; session: string | undefined }[] = [];
  const echo = (name: string) =>
    server.registerTool(name, { inputSchema: { n: z.number() } }, ({ n }) => ({
      content: [{ type: 'text', text: `${name} ${n}` }],
    }));
  echo('look');
  echo('change').disable();
  server.refuseCalls((name, args, session) => {
    if (!refused.includes(name)) return undefined;
    seen.push({ name, args, session });
    return Promise.resolve({ isError: true, content: [{ type: 'text', text: `no ${name}` }] });
  });
  const [s, c] = InMemoryTransport.createLinkedPair();
  await server.connect(s);
  const client = new Client({ name: 'c', version: '1' });
  await client.connect(c);
  const call = async (name: string, args: Record<string, unknown>) =>
    (await client.callTool({ name, arguments: args })) as CallToolResult;
  return { client, call, seen };
}

test('a refused tool is answered by the refusal, with its arguments; others reach their handler', async () => {
  const h = await connect(['change']);
  expect((await h.client.listTools()).tools.map((t) => t.name)).toEqual(['look']);
  expect(await h.call('change', { n: 1 })).toEqual({
    isError: true,
    content: [{ type: 'text', text: 'no change' }],
  });
  expect(h.seen).toEqual([{ name: 'change', args: { n: 1 }, session: undefined }]);
  expect((await h.call('look', { n: 2 })).content).toEqual([{ type: 'text', text: 'look 2' }]);
  await h.client.close();
});

test('without a refusal, a disabled tool is answered as McpServer answers it', async () => {
  const h = await connect([]);
  const r = await h.call('change', { n: 1 });
  expect(r.isError).toBe(true);
  expect(r.content).toEqual([{ type: 'text', text: 'MCP error -32602: Tool change disabled' }]);
  expect(h.seen).toEqual([]);
  await h.client.close();
});
