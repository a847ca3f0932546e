/**
 * The HTTP server's plumbing around the Hono app, which main.ts assembles: timeouts and a cap
 * for connections, accepting through EMFILE, discarding refused bodies, draining on restart, stopping on a signal, and giving up
 * the write permission once the feedback store is open.
 *
 * @module
 */
export { ConnectionDrain, type ConnectionDrainOptions } from "./connection_drain.ts";
export {
  type ConnectionGuardOptions,
  type ConnectionLimits,
  DEFAULT_CONNECTION_LIMITS,
  serveGuarded,
} from "./connection_guard.ts";
export { dropWritePermission } from "./drop_write_permission.ts";
export { BigUploadShed, SHED_MIN_BYTES } from "./big_upload_shed.ts";
export {
  serveUntilSignalled,
  SHUTDOWN_GRACE_MS,
  type ShutdownOptions,
} from "./graceful_shutdown.ts";
export { lingerAfterRefusal, type LingerOptions } from "./lingering_close.ts";
export { type ResilientServeOptions, serveResiliently } from "./resilient_serve.ts";
