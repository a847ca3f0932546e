/**
 * Command line and environment, read once at start-up into a typed object that is passed down.
 * No other module reads flags or `Deno.env`.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import type { RequestLimits } from "./middleware/mod.ts";
import type { EngineOptions } from "./inference/engine.ts";
import type { LogFormat } from "./metrics/observe.ts";
import type { Precision } from "./lib/model_metadata.ts";
import { defaultDataDir } from "./feedback/data_dir.ts";
import type { ConnectionLimits } from "./server/connection_guard.ts";
import { ConfigError } from "./config/flag_values.ts";
import { DEFAULTS, FLAGS, type FlagSpec, type FlagValues } from "./config/flags.ts";

// The flag table and the usage text live in config/; importers of the configuration find them here.
export { ConfigError } from "./config/flag_values.ts";
export {
  DATA_HOME_ENV_NAMES,
  DEFAULT_LIFECYCLE,
  DEFAULTS,
  ENV_NAMES,
  PACKAGE_ENV_NAMES,
} from "./config/flags.ts";
export { USAGE } from "./config/usage.ts";

export type Command = "serve" | "healthcheck" | "backup" | "help" | "version";

export interface Config {
  command: Command;
  /** Interface to listen on (serve) or to ask (healthcheck). */
  host: string;
  port: number;
  /** Folder of `<name>.onnx` + `<name>.json` models. */
  modelsDir: URL;
  /** The default model, and whether the user named it (then it must exist). */
  model: { preferred: string; required: boolean };
  /** Run each model's int8 twin where it has one, or always the float file. */
  precision: Precision;
  /** Request bodies over this many bytes get 413. */
  maxBodyBytes: number;
  /** Concurrency cap, request deadline, rate limit and CORS (middleware/). */
  limits: RequestLimits;
  /** Inference workers, onnxruntime threads and dynamic batching (inference/engine.ts). */
  engine: EngineOptions;
  /** The per-request log line on stdout. */
  logFormat: LogFormat;
  /** Restarts, upgrades and refused uploads (server/connection_drain.ts, lingering_close.ts). */
  lifecycle: LifecycleOptions;
  /** Idle and header-read timeouts, the open connections cap (server/connection_guard.ts). */
  connections: ConnectionLimits;
  /** Corrections from the page (feedback/). */
  feedback: FeedbackConfig;
  /** `digitlab backup FILE`: where the copy goes. */
  backupTarget: string | null;
}

export interface FeedbackConfig {
  /** `--feedback off` hides the page's controls and removes the routes. */
  enabled: boolean;
  /** The folder of the SQLite file; null when neither --data-dir nor HOME says where. */
  dataDir: string | null;
  /** `postgres://...` to store in PostgreSQL instead (several replicas). */
  databaseUrl: string | null;
  /** Writes past this many stored examples get 507. */
  maxExamples: number;
  /** The admin token's file; reading, exporting and deleting answer 403 without one. */
  adminTokenFile: string | null;
}

/** How the server shares its port, drains on a stop signal and closes after a refused upload. */
export interface LifecycleOptions {
  /** SO_REUSEPORT: a second instance may listen on the same port (for upgrades). */
  reusePort: boolean;
  /** After a stop signal, how long kept-alive connections get to take their last answer. */
  drainWindowMs: number;
  /** After a 413, how long in all, and between reads, the rest of the body is discarded... */
  lingerMs: number;
  lingerIdleMs: number;
  /** ... and how many more bytes of it at most. */
  lingerMaxBytes: number;
}

/** The models shipped beside this file: found from the module, never the working directory. */
export const SHIPPED_MODELS_DIR = new URL("./models/", import.meta.url);

/**
 * Builds the configuration from `args` and `env` (flags win over variables). Throws ConfigError
 * for unknown flags and bad values. Relative `--models` paths resolve against `cwd`, as a user
 * typing them expects.
 */
export function parseConfig(
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): Config {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        ...Object.fromEntries(
          Object.entries(FLAGS).map((
            [name, flag],
          ) => [name, { type: "isSwitch" in flag ? "boolean" : "string" }]),
        ),
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (error) {
    // node:util's messages suggest "--" tricks; say just what is wrong.
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new ConfigError(unknown ? `unknown option ${unknown[1]}` : message);
  }
  const { values, positionals } = parsed;
  const [verb, ...rest] = positionals;
  if (verb === "backup" && rest.length !== 1) {
    throw new ConfigError("backup needs one argument: the file to write the copy to");
  }
  if (verb !== undefined && verb !== "backup" && (verb !== "healthcheck" || rest.length > 0)) {
    throw new ConfigError(`unknown command "${positionals.join(" ")}"`);
  }
  const command: Command = values.help
    ? "help"
    : values.version
    ? "version"
    : verb === "healthcheck" || verb === "backup"
    ? verb
    : "serve";
  const given = values as Record<string, string | boolean | undefined>;
  const flags = Object.fromEntries(
    Object.entries(FLAGS).map(([name, flag]) => {
      const text = given[name] === true
        ? "1"
        : (given[name] as string | undefined) ?? env[flag.env];
      return [name, (flag.parse as FlagSpec<unknown>["parse"])(text, name)];
    }),
  ) as FlagValues;
  const rate = flags["rate-limit"];
  return {
    command,
    host: flags.host,
    port: flags.port,
    modelsDir: flags.models ? directoryUrl(flags.models, cwd) : SHIPPED_MODELS_DIR,
    model: { preferred: flags.model ?? DEFAULTS.model, required: flags.model !== undefined },
    precision: flags.precision,
    maxBodyBytes: flags["max-body"],
    limits: {
      maxConcurrent: flags["max-concurrent"],
      requestTimeoutMs: flags["request-timeout"],
      rateLimit: rate === 0
        ? null
        : { ratePerSecond: rate, burst: flags["rate-burst"] ?? Math.max(1, 2 * rate) },
      corsOrigins: flags["cors-origins"],
      perClientConcurrent: flags["per-client"],
      decodeMemoryBytes: flags["decode-memory"] * 2 ** 20,
      trustProxy: flags["trust-proxy"],
    },
    engine: {
      workers: flags.workers,
      ortThreads: flags["ort-threads"],
      preprocessIn: flags["preprocess-in"],
      maxBatch: flags["max-batch"],
      maxWaitMs: flags["batch-wait"],
    },
    logFormat: flags["log-format"],
    feedback: {
      enabled: flags.feedback === "on",
      dataDir: flags["data-dir"] ? resolve(cwd, flags["data-dir"]) : defaultDataDir(env),
      databaseUrl: flags["feedback-db"],
      maxExamples: flags["feedback-max"],
      adminTokenFile: flags["admin-token-file"] ? resolve(cwd, flags["admin-token-file"]) : null,
    },
    backupTarget: verb === "backup" ? resolve(cwd, rest[0]) : null,
    lifecycle: {
      reusePort: flags["reuse-port"],
      drainWindowMs: flags["drain-window"],
      lingerMs: flags["linger-time"],
      lingerIdleMs: flags["linger-timeout"],
      lingerMaxBytes: flags["linger-max"],
    },
    connections: {
      idleMs: flags["idle-timeout"],
      headerMs: flags["header-timeout"],
      maxConnections: flags["max-connections"],
    },
  };
}

/** A folder's URL with the trailing slash, so `new URL("name.onnx", dir)` lands inside it. */
function directoryUrl(path: string, cwd: string): URL {
  return pathToFileURL(resolve(cwd, path).replace(/\/?$/, "/"));
}
