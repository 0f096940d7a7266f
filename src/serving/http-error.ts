// What a request handler throws for anything but success: the status, the message and the field
// at fault go to the client, the kind and version to rudder_errors_total (app.ts's error handler).
import type { ErrorKind } from './metrics.ts';

/** Pins a version on a request; names the version that answered on a response. */
export const VERSION_HEADER = 'x-rudder-version';

export class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly kind: ErrorKind,
    readonly field?: string,
    readonly version?: number,
  ) {
    super(message);
  }
}

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The `endpoint` label of rudder_requests_total; routes without one are not counted. */
    endpoint?: string;
  }
}
