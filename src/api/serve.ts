// Serving and reconcile: `rudder serve`, `rudder reconcile [--once | --watch 1m]`.

/** Serve every model's active versions as the rollout locks say (OIP v2, JSON predict, labels, metrics); hot-reloads on state changes. */
export {
  startServer as serve,
  ServeError,
  type RunningServer,
  type ServeOptions,
} from '../serving/server.ts';

/** `rudder reconcile --watch`: repeat a pass (`reconcile`) on a jittered interval, backing off after errors, until the signal aborts. */
export {
  reconcileWatch,
  type ReconcilePassResult,
  type ReconcileWatchOptions,
} from '../serving/reconcile.ts';
