// `rudder serve` with the default ports: the server (src/serving/) reloads the workspace through
// the loader it is given; this is where that loader is chosen.
import { startServing, type RunningServer, type ServeOptions } from '../serving/server.ts';
import { loadWorkspace } from './workspace.ts';

export { ServeError, type RunningServer, type ServeOptions } from '../serving/server.ts';

/** Serve every model's active versions as the rollout locks say (OIP v2, JSON predict, labels, metrics); hot-reloads on state changes. */
export function startServer(opts: ServeOptions): Promise<RunningServer> {
  return startServing(opts, { load: loadWorkspace });
}
