// `rudder mcp --http [host:]port`: Streamable HTTP on loopback, one MCP session per client,
// a bearer token compared in constant time, and DNS-rebinding protection (the Host and Origin
// headers must name this server), all checked before the SDK sees the request.
import { createHash, randomBytes, randomUUID, timingSafeEqual } from 'node:crypto';
import { chmod, mkdir, readFile, stat, writeFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';
import { isInitializeRequest } from '@modelcontextprotocol/sdk/types.js';
import { AuditLog } from './audit.ts';
import { Confirmations } from './confirm.ts';
import { createRudderMcpServer, type RudderMcpOptions } from './server.ts';
import type { Prepared } from './tools/common.ts';

export interface HttpOptions extends RudderMcpOptions {
  host?: string;
  /** 0 picks a free port. */
  port: number;
  /** The bearer token clients must send. */
  token: string;
  /** At most this many sessions at once (new ones get 503). Default 32. */
  maxSessions?: number;
  /** A session idle this long is closed. Default 30 minutes. */
  sessionIdleMs?: number;
}

export interface RunningHttpServer {
  url: string;
  host: string;
  port: number;
  close(): Promise<void>;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1', '[::1]']);
const MAX_BODY = 4 * 1024 * 1024;

/** `[host:]port` → host and port; the host defaults to 127.0.0.1. */
export function parseListen(spec: string): { host: string; port: number } | undefined {
  const m = /^(?:(\[[0-9a-fA-F:]+\]|[A-Za-z0-9.-]+):)?(\d{1,5})$/.exec(spec.trim());
  if (!m) return undefined;
  const port = Number(m[2]);
  if (port > 65535) return undefined;
  return { host: (m[1] ?? '127.0.0.1').replace(/^\[|\]$/g, ''), port };
}

export const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

/**
 * The bearer token: RUDDER_MCP_TOKEN, else a token file that only its owner can read (0600).
 * With neither, a new token is written to .rudder/mcp-token (0600); its path is printed, never the token.
 */
export async function resolveToken(opts: {
  cwd: string;
  env?: NodeJS.ProcessEnv;
  tokenFile?: string;
  log?: (m: string) => void;
}): Promise<{ token: string; source: string }> {
  const env = opts.env ?? process.env;
  const fromEnv = env.RUDDER_MCP_TOKEN?.trim();
  if (fromEnv) {
    if (fromEnv.length < 16)
      throw new Error('RUDDER_MCP_TOKEN is shorter than 16 characters: use a random token');
    return { token: fromEnv, source: 'RUDDER_MCP_TOKEN' };
  }
  const file = opts.tokenFile ?? join(opts.cwd, '.rudder', 'mcp-token');
  let st;
  try {
    st = await stat(file);
  } catch {
    st = undefined;
  }
  if (st) {
    if (process.platform !== 'win32' && (st.mode & 0o077) !== 0)
      throw new Error(
        `${file} is readable by others (mode ${(st.mode & 0o777).toString(8)}): chmod 600 ${file}`,
      );
    const token = (await readFile(file, 'utf8')).trim();
    if (token.length < 16) throw new Error(`${file} holds no token of at least 16 characters`);
    return { token, source: file };
  }
  if (opts.tokenFile) throw new Error(`--token-file ${opts.tokenFile}: no such file`);
  const token = randomBytes(32).toString('base64url');
  await mkdir(dirname(file), { recursive: true });
  await writeFile(file, `${token}\n`, { mode: 0o600, flag: 'wx' });
  await chmod(file, 0o600);
  opts.log?.(
    `wrote a new bearer token to ${file} (mode 600); clients send it as Authorization: Bearer <token>`,
  );
  return { token, source: file };
}

/** Constant-time comparison of the presented bearer token (hashing first equalizes lengths). */
export function tokenMatches(presented: string | undefined, expected: string): boolean {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return presented != null && timingSafeEqual(h(presented), h(expected));
}

function hostnameOf(hostHeader: string): string {
  const h = hostHeader.trim().toLowerCase();
  if (h.startsWith('[')) return h.slice(0, h.indexOf(']') + 1);
  return h.replace(/:\d+$/, '');
}

function reply(
  res: ServerResponse,
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  res.writeHead(status, { 'content-type': 'application/json', ...headers });
  res.end(
    JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message: `${code}: ${message}` }, id: null }),
  );
}

async function readBody(req: IncomingMessage): Promise<unknown> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const c of req) {
    size += (c as Buffer).length;
    if (size > MAX_BODY) throw new Error('request body larger than 4 MiB');
    chunks.push(c as Buffer);
  }
  const text = Buffer.concat(chunks).toString('utf8');
  return text ? (JSON.parse(text) as unknown) : undefined;
}

export async function startHttpServer(opts: HttpOptions): Promise<RunningHttpServer> {
  const host = opts.host ?? '127.0.0.1';
  const log = opts.log ?? ((line: string) => process.stderr.write(`rudder mcp: ${line}\n`));
  // Tokens are bound to a session; one store lets a session's token be checked wherever it lands.
  const confirmations =
    opts.confirmations ?? new Confirmations<Prepared>({ now: opts.now, ttlMs: opts.confirmTtlMs });
  const audit = opts.audit ?? new AuditLog(opts.cwd, (e) => log(`audit log: ${e.message}`));
  const s: Sessions = {
    open: new Map(),
    lastSeen: new Map(),
    max: opts.maxSessions ?? 32,
    create: async () => {
      const t: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
        sessionIdGenerator: () => randomUUID(),
        onsessioninitialized: (id) => {
          s.open.set(id, t);
        },
      });
      t.onclose = () => {
        if (t.sessionId) s.open.delete(t.sessionId);
      };
      const { server } = createRudderMcpServer({ ...opts, confirmations, audit, log });
      await server.connect(t);
      return t;
    },
  };
  const sweep = sweepIdleSessions(s, opts.sessionIdleMs ?? 30 * 60_000);
  const allowedHosts = new Set(
    [...LOOPBACK, host.includes(':') ? `[${host}]` : host].map((h) => h.toLowerCase()),
  );

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    if (refused(req, res, allowedHosts, opts.token)) return;
    await serveMcp(req, res, s);
  };
  const http: Server = createServer((req, res) => {
    handle(req, res).catch((e: unknown) => {
      log(`http: ${(e as Error).stack ?? String(e)}`);
      if (!res.headersSent) reply(res, 500, 'internal', 'internal error');
      else res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    http.once('error', fail);
    http.listen(opts.port, host, () => ok());
  });
  const port = (http.address() as AddressInfo).port;
  const shown = host.includes(':') ? `[${host}]` : host;
  return {
    url: `http://${shown}:${port}/mcp`,
    host,
    port,
    async close() {
      clearInterval(sweep);
      for (const t of s.open.values()) await t.close().catch(() => undefined);
      s.open.clear();
      const closed = new Promise<void>((ok) => http.close(() => ok()));
      http.closeAllConnections();
      await closed;
    },
  };
}

/** The open MCP sessions, when each was last used, and how to open another. */
interface Sessions {
  open: Map<string, StreamableHTTPServerTransport>;
  lastSeen: Map<string, number>;
  max: number;
  create(): Promise<StreamableHTTPServerTransport>;
}

/** Close sessions idle longer than `idleMs`, checking at least once a minute. */
function sweepIdleSessions(s: Sessions, idleMs: number): NodeJS.Timeout {
  const sweep = setInterval(
    () => {
      const cutoff = Date.now() - idleMs;
      for (const [id, at] of s.lastSeen)
        if (at < cutoff) {
          s.lastSeen.delete(id);
          void s.open.get(id)?.close();
          s.open.delete(id);
        }
    },
    Math.min(idleMs, 60_000),
  );
  sweep.unref();
  return sweep;
}

/**
 * Host, Origin, path and bearer token, checked before the SDK sees the request; true when
 * the request was refused (and answered).
 */
function refused(
  req: IncomingMessage,
  res: ServerResponse,
  allowedHosts: ReadonlySet<string>,
  token: string,
): boolean {
  const url = new URL(req.url ?? '/', 'http://placeholder');
  // DNS rebinding: a page on evil.example resolving to 127.0.0.1 still sends Host: evil.example.
  const hostHeader = req.headers.host;
  if (!hostHeader || !allowedHosts.has(hostnameOf(hostHeader))) {
    reply(res, 403, 'forbidden-host', `Host ${JSON.stringify(hostHeader ?? '')} is not this server`);
    return true;
  }
  const origin = req.headers.origin;
  if (origin != null) {
    let ok = false;
    try {
      ok = allowedHosts.has(hostnameOf(new URL(origin).host));
    } catch {
      ok = false;
    }
    if (!ok) {
      reply(res, 403, 'forbidden-origin', `Origin ${JSON.stringify(origin)} is not allowed`);
      return true;
    }
  }
  if (url.pathname !== '/mcp') {
    reply(res, 404, 'not-found', 'the MCP endpoint is /mcp');
    return true;
  }
  const auth = req.headers.authorization;
  const presented = auth?.startsWith('Bearer ') ? auth.slice(7).trim() : undefined;
  if (!tokenMatches(presented, token)) {
    reply(res, 401, 'unauthorized', presented ? 'wrong bearer token' : 'a bearer token is required', {
      'www-authenticate': 'Bearer realm="rudder-mcp"',
    });
    return true;
  }
  return false;
}

/** Hand an accepted request to its session's transport; an initialize request opens a session. */
async function serveMcp(req: IncomingMessage, res: ServerResponse, s: Sessions): Promise<void> {
  const sid = req.headers['mcp-session-id'];
  const sessionId = Array.isArray(sid) ? sid[0] : sid;
  let body: unknown;
  if (req.method === 'POST') {
    try {
      body = await readBody(req);
    } catch (e) {
      return reply(res, 400, 'bad-request', (e as Error).message);
    }
  }
  let transport = sessionId ? s.open.get(sessionId) : undefined;
  if (!transport) {
    if (sessionId) return reply(res, 404, 'unknown-session', 'no such session; initialize again');
    if (req.method !== 'POST' || !isInitializeRequest(body))
      return reply(res, 400, 'bad-request', 'the first request of a session must be initialize');
    if (s.open.size >= s.max)
      return reply(res, 503, 'too-many-sessions', `${s.max} sessions are open; close one first`);
    transport = await s.create();
  }
  if (transport.sessionId) s.lastSeen.set(transport.sessionId, Date.now());
  await transport.handleRequest(req, res, body);
  if (transport.sessionId) s.lastSeen.set(transport.sessionId, Date.now());
}
