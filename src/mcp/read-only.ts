// A read-only server lists no write tools (they are registered disabled), yet a call to one must
// be refused with a reason and audited, not answered "Tool retrain disabled" as McpServer answers
// a disabled tool before any handler of ours runs. So the refusal happens where requests enter:
// each transport the server connects to is seen through a guard that answers a tools/call naming
// a write tool itself. Public API only: McpServer.connect and the Transport interface.
import { McpServer } from '@modelcontextprotocol/sdk/server/mcp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import {
  CallToolRequestSchema,
  isJSONRPCRequest,
  type CallToolResult,
  type JSONRPCMessage,
  type MessageExtraInfo,
} from '@modelcontextprotocol/sdk/types.js';

/** Answers a call to a tool this server refuses; undefined lets the call through. */
export type Refusal = (
  name: string,
  args: Record<string, unknown>,
  sessionId: string | undefined,
) => Promise<CallToolResult> | undefined;

/** An McpServer whose transports pass through `refuse` first. */
export class GuardedMcpServer extends McpServer {
  private refuse?: Refusal;

  refuseCalls(refuse: Refusal): void {
    this.refuse = refuse;
  }

  override connect(transport: Transport): Promise<void> {
    return super.connect(this.refuse ? guarded(transport, this.refuse) : transport);
  }
}

type OnMessage = (message: JSONRPCMessage, extra?: MessageExtraInfo) => void;

/**
 * `transport`, except that the message handler the protocol installs sees no tools/call that
 * `refuse` answers: the answer goes straight back on the transport.
 */
function guarded(transport: Transport, refuse: Refusal): Transport {
  const intercept =
    (next: OnMessage): OnMessage =>
    (message, extra) => {
      const answer = refusalOf(message, transport.sessionId, refuse);
      if (!answer || !isJSONRPCRequest(message)) return next(message, extra);
      const id = message.id;
      answer
        .then((result) => transport.send({ jsonrpc: '2.0', id, result }, { relatedRequestId: id }))
        .catch((e: unknown) => transport.onerror?.(e as Error));
    };
  return new Proxy(transport, {
    get(target, prop) {
      const v: unknown = Reflect.get(target, prop, target);
      return typeof v === 'function' && prop !== 'onmessage' ? (v as () => unknown).bind(target) : v;
    },
    set(target, prop, value: unknown) {
      const v = prop === 'onmessage' && typeof value === 'function' ? intercept(value as OnMessage) : value;
      return Reflect.set(target, prop, v);
    },
  });
}

function refusalOf(
  message: JSONRPCMessage,
  sessionId: string | undefined,
  refuse: Refusal,
): Promise<CallToolResult> | undefined {
  if (!isJSONRPCRequest(message) || message.method !== 'tools/call') return undefined;
  const parsed = CallToolRequestSchema.safeParse(message);
  if (!parsed.success) return undefined;
  return refuse(parsed.data.params.name, { ...(parsed.data.params.arguments ?? {}) }, sessionId);
}
