// `rudder mcp [--allow-write] [--http [host:]port]`: parse the options and start the server.
// On stdio, stdout is the protocol: everything else goes to stderr.
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface McpCommandOptions {
  cwd: string;
  policiesDir?: string;
  allowWrite: boolean;
  /** `[host:]port` for Streamable HTTP; stdio without it. */
  http?: string;
  tokenFile?: string;
  /** Resolves when the server should stop (tests); default: SIGINT/SIGTERM or stdin closing. */
  until?: Promise<void>;
}

export async function mcpCommand(opts: McpCommandOptions, io: CommandIO): Promise<number> {
  const log = (line: string) => io.stderr(`rudder mcp: ${line}\n`);
  const { validate } = await import('../../api/validate.ts');
  const v = await validate({ cwd: opts.cwd, policiesDir: opts.policiesDir, checkPaths: false });
  if (v.documents === 0 && v.files === 0)
    throw new ExitError(
      `${opts.cwd} holds no policies: run rudder mcp in a Rudder repository (or pass -C <dir>)`,
    );
  const stop =
    opts.until ??
    new Promise<void>((done) => {
      process.once('SIGINT', () => done());
      process.once('SIGTERM', () => done());
    });

  if (opts.http != null) {
    const { parseListen, isLoopback, resolveToken, startHttpServer } = await import('../../mcp/http.ts');
    const listen = parseListen(opts.http);
    if (!listen)
      throw new ExitError(
        `--http ${JSON.stringify(opts.http)}: expected [host:]port, e.g. 8765 or 127.0.0.1:8765`,
      );
    if (!isLoopback(listen.host))
      throw new ExitError(
        `--http ${opts.http}: Rudder's MCP server listens on loopback only (127.0.0.1, ::1, localhost); put an authenticating proxy in front to reach it from elsewhere`,
      );
    let token;
    try {
      token = await resolveToken({ cwd: opts.cwd, tokenFile: opts.tokenFile, log });
    } catch (e) {
      throw new ExitError((e as Error).message);
    }
    const running = await startHttpServer({
      cwd: opts.cwd,
      policiesDir: opts.policiesDir,
      allowWrite: opts.allowWrite,
      host: listen.host,
      port: listen.port,
      token: token.token,
      log,
    });
    log(
      `listening on ${running.url} (token from ${token.source}; writes ${opts.allowWrite ? 'enabled, with confirmation' : 'disabled'})`,
    );
    await stop;
    await running.close();
    return ExitCode.ok;
  }

  const { StdioServerTransport } = await import('@modelcontextprotocol/sdk/server/stdio.js');
  const { createRudderMcpServer } = await import('../../mcp/server.ts');
  const { server } = createRudderMcpServer({
    cwd: opts.cwd,
    policiesDir: opts.policiesDir,
    allowWrite: opts.allowWrite,
    log,
  });
  const transport = new StdioServerTransport();
  const closed = new Promise<void>((done) => {
    transport.onclose = () => done();
    process.stdin.once('end', () => done());
  });
  await server.connect(transport);
  log(`serving ${opts.cwd} on stdio (writes ${opts.allowWrite ? 'enabled, with confirmation' : 'disabled'})`);
  await Promise.race([stop, closed]);
  await server.close();
  return ExitCode.ok;
}
