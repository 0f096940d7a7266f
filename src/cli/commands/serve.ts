import { ServeError, startServer } from '../../api/serve.ts';
import { ExitCode, ExitError, type CommandIO } from '../io.ts';

export interface ServeCommandOptions {
  cwd: string;
  host?: string;
  port?: string;
  /** false: do not write the prediction log. */
  log: boolean;
}

/** `rudder serve`: run until SIGTERM/SIGINT, then finish in-flight requests and flush the prediction log. */
export async function serveCommand(opts: ServeCommandOptions, io: CommandIO): Promise<number> {
  const port = opts.port == null ? undefined : Number(opts.port);
  if (port != null && !(Number.isInteger(port) && port >= 0 && port < 65536))
    throw new ExitError(`--port ${opts.port}: expected a port number (0-65535)`);
  let server;
  try {
    server = await startServer({
      cwd: opts.cwd,
      host: opts.host,
      port,
      ...(opts.log ? {} : { log: false as const }),
      onMessage: (line) => io.stderr(`${line}\n`),
    });
  } catch (e) {
    if (e instanceof ServeError) throw new ExitError(e.message);
    throw e;
  }
  const d = server.deployment();
  const models = [...d.models.values()].map(
    (m) =>
      `${m.name} ${m.weights.map((w) => `v${w.version} ${Math.round(w.weight * 1000) / 10}%`).join(' / ')}`,
  );
  io.stderr(
    `rudder serve: listening on ${server.url} — ${models.join('; ') || 'no model has a rollout yet'}\n`,
  );
  io.stderr(
    `  POST ${server.url}/v1/models/{name}:predict · POST ${server.url}/v2/models/{name}/infer · GET ${server.url}/metrics\n`,
  );
  await new Promise<void>((resolve) => {
    const stop = (sig: string): void => {
      io.stderr(`${sig}: finishing in-flight requests and flushing the prediction log…\n`);
      process.off('SIGTERM', onTerm);
      process.off('SIGINT', onInt);
      void server.close().then(resolve, (e: unknown) => {
        io.stderr(`shutdown: ${(e as Error).message}\n`);
        resolve();
      });
    };
    const onTerm = (): void => stop('SIGTERM');
    const onInt = (): void => stop('SIGINT');
    process.on('SIGTERM', onTerm);
    process.on('SIGINT', onInt);
  });
  io.stderr('rudder serve: stopped\n');
  return ExitCode.ok;
}
