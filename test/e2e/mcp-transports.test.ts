// The MCP server over its real transports: `rudder mcp` spawned on stdio, and Streamable HTTP
// on 127.0.0.1 with and without the bearer token, with forged Host and Origin headers.
import { spawn } from 'node:child_process';
import { chmodSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { CallToolResult } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { isLoopback, parseListen, resolveToken, startHttpServer, tokenMatches } from '../../src/mcp/http.ts';
import { churnRepo, ROOT } from '../helpers/churn-repo.ts';
import { cleanupTemp, isolateGitConfig, tempDir } from '../helpers/temp-repo.ts';

const BIN = join(ROOT, 'bin', 'rudder.js');
const TOKEN = 'test-token-0123456789abcdef';

beforeAll(() => isolateGitConfig());
afterAll(() => cleanupTemp());

let repo: string;
beforeAll(async () => {
  repo = await churnRepo({ customers: 120, epochs: 1 });
});

describe('stdio', () => {
  test('rudder mcp speaks MCP on stdout and logs on stderr only', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, '-C', repo, 'mcp'],
      stderr: 'pipe',
      env: { ...(process.env as Record<string, string>) },
    });
    let stderr = '';
    transport.stderr?.on('data', (d: Buffer) => (stderr += d.toString()));
    const client = new Client({ name: 'stdio-test', version: '0.1.0' });
    await client.connect(transport);
    const tools = await client.listTools();
    expect(tools.tools.map((t) => t.name)).toContain('status');
    expect(tools.tools.map((t) => t.name)).not.toContain('retrain');
    const status = (await client.callTool({ name: 'status', arguments: {} })) as CallToolResult;
    expect((status.structuredContent as { project: string }).project).toBe('acme-churn');
    const refused = (await client.callTool({
      name: 'retrain',
      arguments: { model: 'churn' },
    })) as CallToolResult;
    expect(refused.isError).toBe(true);
    expect((refused.structuredContent as { error: { code: string } }).error.code).toBe('mcp/writes-disabled');
    await client.close();
    expect(stderr).toMatch(/rudder mcp: serving .* on stdio \(writes disabled\)/);
  });

  test('rudder mcp --allow-write lists the write tools', async () => {
    const transport = new StdioClientTransport({
      command: process.execPath,
      args: [BIN, '-C', repo, 'mcp', '--allow-write'],
      stderr: 'pipe',
    });
    const client = new Client({ name: 'stdio-test', version: '0.1.0' });
    await client.connect(transport);
    const names = (await client.listTools()).tools.map((t) => t.name);
    expect(names).toEqual(expect.arrayContaining(['retrain', 'apply_plan', 'refresh_features', 'scan_data']));
    await client.close();
  });
});

/** A raw HTTP request with any headers (fetch will not let a test forge Host). */
function raw(
  url: string,
  headers: Record<string, string>,
  body = JSON.stringify({
    jsonrpc: '2.0',
    id: 1,
    method: 'initialize',
    params: { protocolVersion: '2025-11-25', capabilities: {}, clientInfo: { name: 'raw', version: '1' } },
  }),
): Promise<{ status: number; body: string; headers: Record<string, unknown> }> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = request(
      {
        host: u.hostname,
        port: u.port,
        path: u.pathname,
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          ...headers,
        },
      },
      (res) => {
        let data = '';
        res.on('data', (d: Buffer) => (data += d.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: data, headers: res.headers }));
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

describe('Streamable HTTP', () => {
  test('requires the bearer token, refuses forged Host and Origin, and serves a real client', async () => {
    const srv = await startHttpServer({ cwd: repo, port: 0, token: TOKEN, log: () => {} });
    try {
      expect(srv.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
      const none = await raw(srv.url, {});
      expect(none.status).toBe(401);
      expect(none.headers['www-authenticate']).toMatch(/^Bearer /);
      const wrong = await raw(srv.url, { authorization: `Bearer ${TOKEN}x` });
      expect(wrong.status).toBe(401);
      expect(wrong.body).not.toContain(TOKEN);
      const rebound = await raw(srv.url, {
        authorization: `Bearer ${TOKEN}`,
        host: `evil.example:${srv.port}`,
      });
      expect(rebound.status).toBe(403);
      const origin = await raw(srv.url, { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' });
      expect(origin.status).toBe(403);
      const ok = await raw(srv.url, {
        authorization: `Bearer ${TOKEN}`,
        origin: `http://localhost:${srv.port}`,
      });
      expect(ok.status).toBe(200);

      const client = new Client({ name: 'http-test', version: '3.0' });
      await client.connect(
        new StreamableHTTPClientTransport(new URL(srv.url), {
          requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
        }),
      );
      const r = (await client.callTool({ name: 'validate', arguments: {} })) as CallToolResult;
      expect((r.structuredContent as { ok: boolean }).ok).toBe(true);
      await client.close();

      const denied = new Client({ name: 'http-test', version: '3.0' });
      await expect(
        denied.connect(
          new StreamableHTTPClientTransport(new URL(srv.url), {
            requestInit: { headers: { authorization: 'Bearer nope-nope-nope-nope' } },
          }),
        ),
      ).rejects.toThrow();
    } finally {
      await srv.close();
    }
  });

  test('sessions are capped: one more initialize than allowed gets 503', async () => {
    const srv = await startHttpServer({ cwd: repo, port: 0, token: TOKEN, log: () => {}, maxSessions: 1 });
    try {
      expect((await raw(srv.url, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
      const second = await raw(srv.url, { authorization: `Bearer ${TOKEN}` });
      expect(second.status).toBe(503);
      expect(second.body).toMatch(/too-many-sessions/);
    } finally {
      await srv.close();
    }
  });

  test('rudder mcp --http listens on loopback with the token from RUDDER_MCP_TOKEN', async () => {
    const child = spawn(process.execPath, [BIN, '-C', repo, 'mcp', '--http', '127.0.0.1:0'], {
      env: { ...process.env, RUDDER_MCP_TOKEN: TOKEN },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    const url = await new Promise<string>((resolve, reject) => {
      let err = '';
      child.stderr.on('data', (d: Buffer) => {
        err += d.toString();
        const m = /listening on (http:\/\/\S+)/.exec(err);
        if (m) resolve(m[1]!);
      });
      child.on('exit', (code) => reject(new Error(`exited ${code}: ${err}`)));
    });
    try {
      expect((await raw(url, {})).status).toBe(401);
      expect((await raw(url, { authorization: `Bearer ${TOKEN}` })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
      await new Promise((r) => child.once('exit', r));
    }
    expect(stdout).toBe('');
  });

  test('non-loopback addresses and readable token files are refused', async () => {
    const out = await new Promise<{ code: number | null; stderr: string }>((resolve) => {
      const c = spawn(process.execPath, [BIN, '-C', repo, 'mcp', '--http', '0.0.0.0:8799'], {
        env: { ...process.env, RUDDER_MCP_TOKEN: TOKEN },
      });
      let stderr = '';
      c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
      c.on('exit', (code) => resolve({ code, stderr }));
    });
    expect(out.code).toBe(1);
    expect(out.stderr).toMatch(/loopback only/);

    expect(parseListen('8765')).toEqual({ host: '127.0.0.1', port: 8765 });
    expect(parseListen('[::1]:9000')).toEqual({ host: '::1', port: 9000 });
    expect(parseListen('localhost:99999')).toBeUndefined();
    expect(isLoopback('127.0.0.1') && isLoopback('::1') && !isLoopback('0.0.0.0')).toBe(true);
    expect(tokenMatches(TOKEN, TOKEN)).toBe(true);
    expect(tokenMatches(`${TOKEN}0`, TOKEN)).toBe(false);
    expect(tokenMatches(undefined, TOKEN)).toBe(false);

    const dir = tempDir();
    const file = join(dir, 'token');
    writeFileSync(file, `${TOKEN}\n`);
    chmodSync(file, 0o644);
    await expect(resolveToken({ cwd: dir, env: {}, tokenFile: file })).rejects.toThrow(/chmod 600/);
    chmodSync(file, 0o600);
    expect((await resolveToken({ cwd: dir, env: {}, tokenFile: file })).token).toBe(TOKEN);
    // Neither: a new random token in .rudder/mcp-token, owner-only; its value is never logged.
    const logs: string[] = [];
    const made = await resolveToken({ cwd: dir, env: {}, log: (m) => logs.push(m) });
    expect(made.token).toHaveLength(43);
    expect(statSync(join(dir, '.rudder', 'mcp-token')).mode & 0o777).toBe(0o600);
    expect(readFileSync(join(dir, '.rudder', 'mcp-token'), 'utf8').trim()).toBe(made.token);
    expect(logs.join('\n')).not.toContain(made.token);
  });
});
