// Serving and reconcile: `rudder serve`, `rudder reconcile [--once | --watch 1m]`.

export { startServer, ServeError, type RunningServer, type ServeOptions } from '../compose/serve.ts';

/** `rudder reconcile --watch`: repeat a pass (`reconcile`) on a jittered interval, backing off after errors, until the signal aborts. */
export {
  reconcileWatch,
  type ReconcilePassResult,
  type ReconcileWatchOptions,
} from '../serving/reconcile.ts';
