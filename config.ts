/**
 * Command line and environment, read once at start-up into a typed object that is passed down.
 * No other module reads flags or `Deno.env`.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";
import { DEFAULT_LIMITS, type RequestLimits } from "./middleware/mod.ts";
import { DEFAULT_ENGINE, type EngineOptions } from "./inference/engine.ts";
import { LOG_FORMATS, type LogFormat } from "./metrics/observe.ts";
import { DEFAULT_PRECISION, type Precision, PRECISIONS } from "./lib/model_metadata.ts";
import { defaultDataDir } from "./feedback/data_dir.ts";
import { type ConnectionLimits, DEFAULT_CONNECTION_LIMITS } from "./connection_guard.ts";
import { POSTGRES_ENV_NAMES } from "./feedback/postgres_env.ts";

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
  /** Restarts, upgrades and refused uploads (connection_drain.ts, lingering_close.ts). */
  lifecycle: LifecycleOptions;
  /** Idle and header-read timeouts, the open connections cap (connection_guard.ts). */
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

export const DEFAULT_LIFECYCLE: LifecycleOptions = {
  reusePort: false,
  drainWindowMs: 2_000,
  // nginx's lingering_time and lingering_timeout.
  lingerMs: 30_000,
  lingerIdleMs: 5_000,
  lingerMaxBytes: 64 * 1024 * 1024,
};

/** The models shipped beside this file: found from the module, never the working directory. */
export const SHIPPED_MODELS_DIR = new URL("./models/", import.meta.url);

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8000,
  // issue 13: the model trained on real pen strokes reads people's drawings best.
  model: "draw",
  maxBodyBytes: 2 * 1024 * 1024,
  feedbackMax: 100_000,
} as const;

/** A flag or variable the user got wrong; main prints the message and the usage, exits 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** One flag: its variable, how its value reads in the usage text, its help, and its parser. */
interface FlagSpec<T> {
  /** The environment variable read when the flag is absent. */
  env: string;
  /** The value's placeholder in the usage text (`PORT`, `MS`); none for an on/off switch. */
  value: string;
  /** A switch: given without a value (`--reuse-port`), its variable set to 1 or true. */
  isSwitch?: true;
  /** What the flag does, for the usage text. */
  help: string;
  /** The default as the usage text shows it (the parser holds the default itself). */
  shown: string;
  /** The flag's value from its text: undefined when neither flag nor variable is set. */
  parse(text: string | undefined, flag: string): T;
}

/**
 * Every option, once: the usage text, the environment variables (ENV_NAMES, and so the
 * compile task's `--allow-env` list, which a test compares) and the parsing come from here.
 */
const FLAGS = {
  host: {
    env: "HOST",
    value: "HOST",
    help: "interface to listen on",
    shown: DEFAULTS.host,
    parse: (text) => text ?? DEFAULTS.host,
  },
  port: {
    env: "PORT",
    value: "PORT",
    help: "TCP port, 0 picks a free one",
    shown: `${DEFAULTS.port}`,
    parse: integer(DEFAULTS.port, 0, 65535),
  },
  models: {
    env: "DIGITLAB_MODELS",
    value: "DIR",
    help: "folder of <name>.onnx + <name>.json models",
    shown: "the models shipped with digitlab",
    parse: (text) => text || undefined,
  },
  model: {
    env: "DIGITLAB_MODEL",
    value: "NAME",
    help: "default model",
    shown: `${DEFAULTS.model}, or the most accurate one present`,
    parse: (text) => text,
  },
  precision: {
    env: "DIGITLAB_PRECISION",
    value: "P",
    help: "int8: run a model's int8 twin (<name>.int8.onnx) where it has one, ~1.5x faster " +
      "at the same MNIST accuracy; fp32: always the float file",
    shown: DEFAULT_PRECISION,
    parse: oneOf(PRECISIONS, DEFAULT_PRECISION),
  },
  "max-body": {
    env: "DIGITLAB_MAX_BODY",
    value: "BYTES",
    help: "largest accepted request body",
    shown: "2 MiB",
    parse: integer(DEFAULTS.maxBodyBytes, 1024, 256 * 1024 * 1024),
  },
  "max-concurrent": {
    env: "DIGITLAB_MAX_CONCURRENT",
    value: "N",
    help: "predictions in progress at once; more get 503 + Retry-After",
    shown: `${DEFAULT_LIMITS.maxConcurrent}`,
    parse: integer(DEFAULT_LIMITS.maxConcurrent, 1, 100_000),
  },
  "request-timeout": {
    env: "DIGITLAB_REQUEST_TIMEOUT",
    value: "MS",
    help: "deadline for a prediction, upload included: 408 for a body still arriving, 503 " +
      "for work still running",
    shown: `${DEFAULT_LIMITS.requestTimeoutMs}`,
    parse: integer(DEFAULT_LIMITS.requestTimeoutMs, 100, 3_600_000),
  },
  "rate-limit": {
    env: "DIGITLAB_RATE_LIMIT",
    value: "N",
    help: "requests per second per client IP, 0 = off; past it 429 + Retry-After",
    shown: "off",
    parse: integer(0, 0, 1_000_000),
  },
  "rate-burst": {
    env: "DIGITLAB_RATE_BURST",
    value: "N",
    help: "requests a client may send at once",
    shown: "twice --rate-limit",
    // The default depends on --rate-limit: filled in by parseConfig.
    parse: integer(undefined, 1, 1_000_000),
  },
  "cors-origins": {
    env: "DIGITLAB_CORS_ORIGINS",
    value: "LIST",
    help: "comma-separated origins (https://host[:port], or *) allowed to call the API from " +
      "browsers",
    shown: "none: CORS off",
    parse: origins,
  },
  // Hostile clients (#17): per-client fairness, the decode memory budget, a trusted proxy.
  "per-client": {
    env: "DIGITLAB_PER_CLIENT",
    value: "N",
    help: "predictions one client (IP) may have in progress; more get 503 + Retry-After",
    shown: `${DEFAULT_LIMITS.perClientConcurrent}`,
    parse: integer(DEFAULT_LIMITS.perClientConcurrent, 1, 100_000),
  },
  "decode-memory": {
    env: "DIGITLAB_DECODE_MEMORY",
    value: "MB",
    help: "decoded image memory in flight; past it 503 + Retry-After",
    shown: `${DEFAULT_LIMITS.decodeMemoryBytes / 2 ** 20}`,
    parse: integer(DEFAULT_LIMITS.decodeMemoryBytes / 2 ** 20, 16, 65_536),
  },
  "trust-proxy": {
    env: "DIGITLAB_TRUST_PROXY",
    value: "0|1",
    help: "1: take the client's IP from the last X-Forwarded-For entry (only behind a proxy " +
      "that sets it)",
    shown: "0",
    parse: (text, flag) => oneOf(["0", "1"] as const, "0")(text, flag) === "1",
  },
  workers: {
    env: "DIGITLAB_WORKERS",
    value: "N",
    help: "inference workers (decode, preprocessing, model) beside the HTTP thread; 0 runs " +
      "them on it",
    shown: `${DEFAULT_ENGINE.workers}`,
    parse: integer(DEFAULT_ENGINE.workers, 0, 64),
  },
  "ort-threads": {
    env: "DIGITLAB_ORT_THREADS",
    value: "N",
    help: "onnxruntime WASM threads per worker, or on the main thread with --workers 0",
    shown: `${DEFAULT_ENGINE.ortThreads}`,
    parse: integer(DEFAULT_ENGINE.ortThreads, 1, 64),
  },
  "preprocess-in": {
    env: "DIGITLAB_PREPROCESS_IN",
    value: "W",
    help: "where images are decoded and preprocessed: workers (beside the model) or main " +
      "(the HTTP thread, pipelined with the workers' inference)",
    shown: DEFAULT_ENGINE.preprocessIn,
    parse: oneOf(["workers", "main"] as const, DEFAULT_ENGINE.preprocessIn),
  },
  "max-batch": {
    env: "DIGITLAB_MAX_BATCH",
    value: "N",
    help: "most digits run as one batch",
    shown: `${DEFAULT_ENGINE.maxBatch}`,
    parse: integer(DEFAULT_ENGINE.maxBatch, 1, 1024),
  },
  "batch-wait": {
    env: "DIGITLAB_BATCH_WAIT",
    value: "MS",
    help: "how long a batch may wait for more requests when a worker is free; 0 never waits",
    shown: `${DEFAULT_ENGINE.maxWaitMs}`,
    parse: milliseconds(DEFAULT_ENGINE.maxWaitMs, 100),
  },
  "log-format": {
    env: "DIGITLAB_LOG_FORMAT",
    value: "F",
    help: "one line per request on stdout: json, text or none",
    shown: "json",
    parse: oneOf(LOG_FORMATS, "json"),
  },
  feedback: {
    env: "DIGITLAB_FEEDBACK",
    value: "on|off",
    help: `the page's "right" / "it's a ..." controls and the /feedback routes`,
    shown: "on",
    parse: oneOf(["on", "off"] as const, "on"),
  },
  "data-dir": {
    env: "DIGITLAB_DATA_DIR",
    value: "DIR",
    help: "where the feedback database lives",
    shown: "$XDG_DATA_HOME/digitlab, else ~/.local/share/digitlab",
    parse: (text) => text || undefined,
  },
  "feedback-db": {
    env: "DIGITLAB_FEEDBACK_DB",
    value: "URL",
    help: "postgres://user@host:port/db: store feedback in PostgreSQL instead, for several " +
      "replicas (a password may come from PGPASSWORD)",
    shown: "none: SQLite in --data-dir",
    parse: (text, flag) => {
      if (!text) return null;
      if (!/^postgres(ql)?:\/\//.test(text)) {
        throw new ConfigError(`--${flag} must be a postgres:// or postgresql:// URL`);
      }
      return text;
    },
  },
  "feedback-max": {
    env: "DIGITLAB_FEEDBACK_MAX",
    value: "N",
    help: "stored examples at most; past it writes get 507",
    shown: `${DEFAULTS.feedbackMax}`,
    parse: integer(DEFAULTS.feedbackMax, 0, 100_000_000),
  },
  "admin-token-file": {
    env: "DIGITLAB_ADMIN_TOKEN_FILE",
    value: "FILE",
    help: "file holding the token that reads, exports and deletes feedback",
    shown: "none: those routes answer 403",
    parse: (text) => text || undefined,
  },
  "idle-timeout": {
    env: "DIGITLAB_IDLE_TIMEOUT",
    value: "MS",
    help: "close a connection that sends no request for this long (since it opened or had " +
      "its last answer)",
    shown: `${DEFAULT_CONNECTION_LIMITS.idleMs}`,
    parse: integer(DEFAULT_CONNECTION_LIMITS.idleMs, 100, 3_600_000),
  },
  "header-timeout": {
    env: "DIGITLAB_HEADER_TIMEOUT",
    value: "MS",
    help: "close a connection whose request head has not all arrived this long after its " +
      "first byte",
    shown: `${DEFAULT_CONNECTION_LIMITS.headerMs}`,
    parse: integer(DEFAULT_CONNECTION_LIMITS.headerMs, 100, 3_600_000),
  },
  "max-connections": {
    env: "DIGITLAB_MAX_CONNECTIONS",
    value: "N",
    help: "open connections at most, more are closed at once; each takes 3 file descriptors " +
      "(running out lowers it)",
    shown: `${DEFAULT_CONNECTION_LIMITS.maxConnections}`,
    parse: integer(DEFAULT_CONNECTION_LIMITS.maxConnections, 1, 1_000_000),
  },
  // Restarts, upgrades and refused uploads (docs/deploy.md).
  "reuse-port": {
    env: "DIGITLAB_REUSE_PORT",
    value: "",
    isSwitch: true,
    help: "share the port with another instance (SO_REUSEPORT, Linux), for upgrades " +
      "without a refused connection",
    shown: "off",
    parse: (text, flag) =>
      ["1", "true"].includes(oneOf(["0", "1", "false", "true"], "0")(text, flag)),
  },
  "drain-window": {
    env: "DIGITLAB_DRAIN_WINDOW",
    value: "MS",
    help: "on SIGTERM/SIGINT, how long kept-alive connections get to take their last answer " +
      "(Connection: close) before the server closes them",
    shown: `${DEFAULT_LIFECYCLE.drainWindowMs}`,
    parse: integer(DEFAULT_LIFECYCLE.drainWindowMs, 0, 60_000),
  },
  "linger-time": {
    env: "DIGITLAB_LINGER_TIME",
    value: "MS",
    help: "after a 413, the longest time spent reading and discarding the rest of the body, " +
      "so the client can read the answer",
    shown: `${DEFAULT_LIFECYCLE.lingerMs}`,
    parse: integer(DEFAULT_LIFECYCLE.lingerMs, 0, 600_000),
  },
  "linger-timeout": {
    env: "DIGITLAB_LINGER_TIMEOUT",
    value: "MS",
    help: "... and the longest wait for the next piece of it",
    shown: `${DEFAULT_LIFECYCLE.lingerIdleMs}`,
    parse: integer(DEFAULT_LIFECYCLE.lingerIdleMs, 0, 600_000),
  },
  "linger-max": {
    env: "DIGITLAB_LINGER_MAX",
    value: "BYTES",
    help: "... and the most bytes of it read",
    shown: "64 MiB",
    parse: integer(DEFAULT_LIFECYCLE.lingerMaxBytes, 0, 1024 * 1024 * 1024),
  },
} satisfies Record<string, FlagSpec<unknown>>;

type FlagValues = { [K in keyof typeof FLAGS]: ReturnType<(typeof FLAGS)[K]["parse"]> };

/** The environment variables this program reads (the only ones `--allow-env` needs). */
export const ENV_NAMES: string[] = Object.values(FLAGS).map((flag) => flag.env);

/** Not flags, but read too: where the default data folder is (feedback/data_dir.ts). */
export const DATA_HOME_ENV_NAMES = ["XDG_DATA_HOME", "HOME"];

/** Variables read by packages, not by us: the compile task's `--allow-env` must grant them. */
export const PACKAGE_ENV_NAMES = [
  // imagescript's wasm loaders pick their SIMD build by it (inference/image_decode.ts).
  "IMAGESCRIPT_WASM_SIMD",
  // npm postgres, with --feedback-db (feedback/postgres_env.ts).
  ...POSTGRES_ENV_NAMES,
];

export const USAGE = `digitlab: handwritten digit recognition (web UI + JSON API)

Usage:
  digitlab [options]               serve the UI and the API
  digitlab healthcheck [options]   exit 0 when GET /health on --host/--port answers healthy
  digitlab backup FILE [options]   write a consistent copy of the feedback database to FILE
                                   while the server runs

Options:
${
  Object.entries(FLAGS).map(([name, flag]) =>
    usageEntry(
      `--${name}${flag.value ? ` ${flag.value}` : ""}`,
      `${flag.help} (env\u00a0${flag.env}; default ${flag.shown})`,
    )
  ).join("")
}${usageEntry("--help", "show this help")}${usageEntry("--version", "print the version")}`;

/**
 * One option's lines: its name in a column of 19, the help wrapped at 92 characters (never
 * inside a no-break space, so "(env NAME;" stays on one line).
 */
function usageEntry(name: string, help: string): string {
  const indent = " ".repeat(21);
  const lines: string[] = [];
  let line = "";
  for (const word of help.split(" ")) {
    if (line && indent.length + line.length + 1 + word.length > 92) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  const head = `  ${name}`;
  const first = head.length < indent.length ? head.padEnd(indent.length) : `${head}\n${indent}`;
  return `${first}${lines.join(`\n${indent}`).replaceAll("\u00a0", " ")}\n`;
}

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

/** A parser for one of `allowed`, `fallback` when unset or empty; anything else is refused. */
function oneOf<T extends string>(allowed: readonly T[], fallback: T) {
  return (text: string | undefined, flag: string): T => {
    if (text === undefined || text === "") return fallback;
    if (!allowed.includes(text as T)) {
      throw new ConfigError(`--${flag} must be one of ${allowed.join(", ")}, not "${text}"`);
    }
    return text as T;
  };
}

/** A parser for a whole number from `min` to `max`, `fallback` when unset or empty. */
function integer<T extends number | undefined>(fallback: T, min: number, max: number) {
  return (text: string | undefined, flag: string): number | T => {
    if (text === undefined || text === "") return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
      throw new ConfigError(
        `--${flag} must be a whole number from ${min} to ${max}, not "${text}"`,
      );
    }
    return value;
  };
}

/** A parser for milliseconds from 0 to `max`, fractions allowed (an empty value is refused). */
function milliseconds(fallback: number, max: number) {
  return (text: string | undefined, flag: string): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(value <= max)) {
      throw new ConfigError(`--${flag} must be milliseconds from 0 to ${max}, not "${text}"`);
    }
    return value;
  };
}

/** A comma-separated allow-list; each entry exactly an origin as browsers send it, or `*`. */
function origins(text: string | undefined): string[] {
  const list = (text ?? "").split(",").map((origin) => origin.trim()).filter(Boolean);
  for (const origin of list) {
    let exact = origin === "*";
    try {
      exact ||= new URL(origin).origin === origin;
    } catch {
      // not a URL at all: reported below
    }
    if (!exact) {
      throw new ConfigError(
        `--cors-origins: "${origin}" is not an origin like https://example.org or *`,
      );
    }
  }
  return list;
}

/** A folder's URL with the trailing slash, so `new URL("name.onnx", dir)` lands inside it. */
function directoryUrl(path: string, cwd: string): URL {
  return pathToFileURL(resolve(cwd, path).replace(/\/?$/, "/"));
}
