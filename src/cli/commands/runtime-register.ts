// `rudder mcp`, `rudder serve`, `rudder reconcile`: the long-running processes. Registered by main.ts.
import { resolve } from 'node:path';
import { type Command } from 'commander';
import { ExitError } from '../io.ts';
import type { ContextOf } from '../context.ts';

/** mcp, serve, reconcile. */
export function registerRuntimeCommands(program: Command, ctx: ContextOf): void {
  program
    .command('mcp')
    .description(
      'serve the API to AI agents over MCP: stdio, or Streamable HTTP on loopback with a bearer token',
    )
    .option('--allow-write', "list and run write tools (each write still needs the person's confirmation)")
    .option(
      '--http <[host:]port>',
      'serve Streamable HTTP on 127.0.0.1 (token: RUDDER_MCP_TOKEN or --token-file)',
    )
    .option(
      '--token-file <file>',
      'bearer token file, mode 0600 (default .rudder/mcp-token, created if missing)',
    )
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .action(
      async (
        o: { allowWrite?: boolean; http?: string; tokenFile?: string; policies?: string },
        cmd: Command,
      ) => {
        const c = ctx(cmd);
        const { mcpCommand } = await import('./mcp.ts');
        process.exitCode = await mcpCommand(
          {
            cwd: c.cwd,
            policiesDir: o.policies,
            allowWrite: o.allowWrite ?? false,
            http: o.http,
            tokenFile: o.tokenFile ? resolve(c.cwd, o.tokenFile) : undefined,
          },
          c.io,
        );
      },
    );

  program
    .command('serve')
    .description(
      "serve every model's active versions as the rollout locks say (OIP v2, JSON predict, labels, /metrics); hot-reloads when the state changes",
    )
    .option('--host <host>', 'interface to bind (default 127.0.0.1)')
    .option('--port <port>', 'port (default 8080; 0 picks a free one)')
    .option('--no-log', 'do not write the prediction log (.rudder/predictions)')
    .action(async (o: { host?: string; port?: string; log: boolean }, cmd: Command) => {
      const c = ctx(cmd);
      const { serveCommand } = await import('./serve.ts');
      process.exitCode = await serveCommand({ cwd: c.cwd, host: o.host, port: o.port, log: o.log }, c.io);
    });

  program
    .command('reconcile')
    .description(
      'observe → plan → apply what the policies allow without a person → commit; once, or --watch <interval>',
    )
    .option('--once', 'one pass (the default)')
    .option('--watch <interval>', 'repeat every interval (jittered; backs off after errors) until SIGTERM')
    .option(
      '--abort <model>',
      "abort the model's progressing rollout: traffic back to the champion, challenger held; commit",
    )
    .option('--policies <dir>', 'policy folder (default: spec.policies in rudder.yaml, or policies)')
    .action(
      async (o: { once?: boolean; watch?: string; abort?: string; policies?: string }, cmd: Command) => {
        const c = ctx(cmd);
        if (o.once && o.watch) throw new ExitError('--once and --watch exclude each other');
        if (o.abort && o.watch) throw new ExitError('--abort and --watch exclude each other');
        const { reconcileCommand } = await import('./reconcile.ts');
        process.exitCode = await reconcileCommand(
          { cwd: c.cwd, policiesDir: o.policies, watch: o.watch, abort: o.abort, json: c.json, now: c.now },
          c.io,
        );
      },
    );
}
