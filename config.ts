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
import { type Precision, PRECISIONS } from "./lib/model_metadata.ts";
import { defaultDataDir } from "./feedback/data_dir.ts";

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

/** The models shipped beside this file: found from the module, never the working directory. */
export const SHIPPED_MODELS_DIR = new URL("./models/", import.meta.url);

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8000,
  model: "cnn-aug",
  maxBodyBytes: 2 * 1024 * 1024,
  feedbackMax: 100_000,
} as const;

/** A flag or variable the user got wrong; main prints the message and the usage, exits 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export const USAGE = `digitlab: handwritten digit recognition (web UI + JSON API)

Usage:
  digitlab [options]               serve the UI and the API
  digitlab healthcheck [options]   exit 0 when GET /health on --host/--port answers healthy
  digitlab backup FILE [options]   write a consistent copy of the feedback database to FILE
                                   while the server runs

Options:
  --host HOST        interface to listen on (env HOST; default ${DEFAULTS.host})
  --port PORT        TCP port, 0 picks a free one (env PORT; default ${DEFAULTS.port})
  --models DIR       folder of <name>.onnx + <name>.json models (env DIGITLAB_MODELS;
                     default: the models shipped with digitlab)
  --model NAME       default model (env DIGITLAB_MODEL; default ${DEFAULTS.model}, or the most
                     accurate one present)
  --precision P      int8: run a model's int8 twin (<name>.int8.onnx) where it has one,
                     ~1.5x faster at the same MNIST accuracy; fp32: always the float file
                     (env DIGITLAB_PRECISION; default int8)
  --max-body BYTES   largest accepted request body (env DIGITLAB_MAX_BODY; default 2 MiB)
  --max-concurrent N predictions in progress at once; more get 503 + Retry-After
                     (env DIGITLAB_MAX_CONCURRENT; default ${DEFAULT_LIMITS.maxConcurrent})
  --request-timeout MS
                     deadline for a prediction, upload included: 408 for a body still
                     arriving, 503 for work still running (env DIGITLAB_REQUEST_TIMEOUT;
                     default ${DEFAULT_LIMITS.requestTimeoutMs})
  --rate-limit N     requests per second per client IP, 0 = off (env DIGITLAB_RATE_LIMIT;
                     default off); past it 429 + Retry-After
  --rate-burst N     requests a client may send at once (env DIGITLAB_RATE_BURST;
                     default twice --rate-limit)
  --cors-origins LIST
                     comma-separated origins (https://host[:port], or *) allowed to call the
                     API from browsers (env DIGITLAB_CORS_ORIGINS; default none: CORS off)
  --workers N        inference workers (decode, preprocessing, model) beside the HTTP thread;
                     0 runs them on it (env DIGITLAB_WORKERS; default ${DEFAULT_ENGINE.workers})
  --ort-threads N    onnxruntime WASM threads per worker, or on the main thread with
                     --workers 0 (env DIGITLAB_ORT_THREADS; default ${DEFAULT_ENGINE.ortThreads})
  --preprocess-in W  where images are decoded and preprocessed: workers (beside the model) or
                     main (the HTTP thread, pipelined with the workers' inference)
                     (env DIGITLAB_PREPROCESS_IN; default ${DEFAULT_ENGINE.preprocessIn})
  --max-batch N      most digits run as one batch (env DIGITLAB_MAX_BATCH; default
                     ${DEFAULT_ENGINE.maxBatch})
  --batch-wait MS    how long a batch may wait for more requests when a worker is free;
                     0 never waits (env DIGITLAB_BATCH_WAIT; default ${DEFAULT_ENGINE.maxWaitMs})
  --log-format F     one line per request on stdout: json, text or none
                     (env DIGITLAB_LOG_FORMAT; default json)
  --feedback on|off  the page's "right" / "it's a ..." controls and the /feedback routes
                     (env DIGITLAB_FEEDBACK; default on)
  --data-dir DIR     where the feedback database lives (env DIGITLAB_DATA_DIR; default
                     $XDG_DATA_HOME/digitlab, else ~/.local/share/digitlab)
  --feedback-db URL  postgres://user@host:port/db: store feedback in PostgreSQL instead, for
                     several replicas (env DIGITLAB_FEEDBACK_DB)
  --feedback-max N   stored examples at most; past it writes get 507 (env DIGITLAB_FEEDBACK_MAX;
                     default ${DEFAULTS.feedbackMax})
  --admin-token-file FILE
                     file holding the token that reads, exports and deletes feedback
                     (env DIGITLAB_ADMIN_TOKEN_FILE; default none: those routes answer 403)
  --help             show this help
  --version          print the version
`;

/** The environment variables this program reads (the only ones `--allow-env` needs). */
export const ENV_NAMES = [
  "HOST",
  "PORT",
  "DIGITLAB_MODELS",
  "DIGITLAB_MODEL",
  "DIGITLAB_PRECISION",
  "DIGITLAB_MAX_BODY",
  // Limits (middleware/).
  "DIGITLAB_MAX_CONCURRENT",
  "DIGITLAB_REQUEST_TIMEOUT",
  "DIGITLAB_RATE_LIMIT",
  "DIGITLAB_RATE_BURST",
  "DIGITLAB_CORS_ORIGINS",
  // Serving (inference/engine.ts, metrics/observe.ts).
  "DIGITLAB_WORKERS",
  "DIGITLAB_ORT_THREADS",
  "DIGITLAB_PREPROCESS_IN",
  "DIGITLAB_MAX_BATCH",
  "DIGITLAB_BATCH_WAIT",
  "DIGITLAB_LOG_FORMAT",
  // Feedback (feedback/); HOME and XDG_DATA_HOME place the default data folder.
  "DIGITLAB_FEEDBACK",
  "DIGITLAB_DATA_DIR",
  "DIGITLAB_FEEDBACK_DB",
  "DIGITLAB_FEEDBACK_MAX",
  "DIGITLAB_ADMIN_TOKEN_FILE",
  "XDG_DATA_HOME",
  "HOME",
];

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
        host: { type: "string" },
        port: { type: "string" },
        models: { type: "string" },
        model: { type: "string" },
        precision: { type: "string" },
        "max-body": { type: "string" },
        "max-concurrent": { type: "string" },
        "request-timeout": { type: "string" },
        "rate-limit": { type: "string" },
        "rate-burst": { type: "string" },
        "cors-origins": { type: "string" },
        workers: { type: "string" },
        "ort-threads": { type: "string" },
        "preprocess-in": { type: "string" },
        "max-batch": { type: "string" },
        "batch-wait": { type: "string" },
        "log-format": { type: "string" },
        feedback: { type: "string" },
        "data-dir": { type: "string" },
        "feedback-db": { type: "string" },
        "feedback-max": { type: "string" },
        "admin-token-file": { type: "string" },
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
  const modelsPath = values.models ?? env.DIGITLAB_MODELS;
  const namedModel = values.model ?? env.DIGITLAB_MODEL;
  return {
    command,
    host: values.host ?? env.HOST ?? DEFAULTS.host,
    port: integer(values.port ?? env.PORT, DEFAULTS.port, "port", 0, 65535),
    modelsDir: modelsPath ? directoryUrl(modelsPath, cwd) : SHIPPED_MODELS_DIR,
    model: { preferred: namedModel ?? DEFAULTS.model, required: namedModel !== undefined },
    precision: oneOf("precision", values.precision ?? env.DIGITLAB_PRECISION, PRECISIONS, "int8"),
    maxBodyBytes: integer(
      values["max-body"] ?? env.DIGITLAB_MAX_BODY,
      DEFAULTS.maxBodyBytes,
      "max-body",
      1024,
      256 * 1024 * 1024,
    ),
    limits: parseLimits(values, env),
    engine: parseEngine(values, env),
    logFormat: oneOf(
      "log-format",
      values["log-format"] ?? env.DIGITLAB_LOG_FORMAT,
      LOG_FORMATS,
      "json",
    ),
    feedback: parseFeedback(values, env, cwd),
    backupTarget: verb === "backup" ? resolve(cwd, rest[0]) : null,
  };
}

function parseFeedback(
  values: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
  cwd: string,
): FeedbackConfig {
  const text = (flag: string, variable: string) =>
    (values[flag] as string | undefined) || env[variable] || undefined;
  const dataDir = text("data-dir", "DIGITLAB_DATA_DIR");
  const databaseUrl = text("feedback-db", "DIGITLAB_FEEDBACK_DB") ?? null;
  if (databaseUrl !== null && !/^postgres(ql)?:\/\//.test(databaseUrl)) {
    throw new ConfigError("--feedback-db must be a postgres:// or postgresql:// URL");
  }
  const tokenFile = text("admin-token-file", "DIGITLAB_ADMIN_TOKEN_FILE");
  return {
    enabled: oneOf("feedback", text("feedback", "DIGITLAB_FEEDBACK"), ["on", "off"], "on") === "on",
    dataDir: dataDir ? resolve(cwd, dataDir) : defaultDataDir(env),
    databaseUrl,
    maxExamples: integer(
      text("feedback-max", "DIGITLAB_FEEDBACK_MAX"),
      DEFAULTS.feedbackMax,
      "feedback-max",
      0,
      100_000_000,
    ),
    adminTokenFile: tokenFile ? resolve(cwd, tokenFile) : null,
  };
}

function parseEngine(
  values: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
): EngineOptions {
  const text = (flag: string, variable: string) =>
    (values[flag] as string | undefined) ?? env[variable];
  const wait = text("batch-wait", "DIGITLAB_BATCH_WAIT");
  const maxWaitMs = wait === undefined || wait === "" ? DEFAULT_ENGINE.maxWaitMs : Number(wait);
  if (!/^\d+(\.\d+)?$/.test(wait?.trim() ?? "0") || !(maxWaitMs <= 100)) {
    throw new ConfigError(`--batch-wait must be milliseconds from 0 to 100, not "${wait}"`);
  }
  const defaults = DEFAULT_ENGINE;
  return {
    workers: integer(text("workers", "DIGITLAB_WORKERS"), defaults.workers, "workers", 0, 64),
    ortThreads: integer(
      text("ort-threads", "DIGITLAB_ORT_THREADS"),
      defaults.ortThreads,
      "ort-threads",
      1,
      64,
    ),
    preprocessIn: oneOf(
      "preprocess-in",
      text("preprocess-in", "DIGITLAB_PREPROCESS_IN"),
      ["workers", "main"],
      defaults.preprocessIn,
    ),
    maxBatch: integer(
      text("max-batch", "DIGITLAB_MAX_BATCH"),
      defaults.maxBatch,
      "max-batch",
      1,
      1024,
    ),
    maxWaitMs,
  };
}

/** One of `allowed`, or `fallback` when unset or empty; anything else is a ConfigError. */
function oneOf<T extends string>(
  flag: string,
  text: string | undefined,
  allowed: readonly T[],
  fallback: T,
): T {
  if (text === undefined || text === "") return fallback;
  if (!allowed.includes(text as T)) {
    throw new ConfigError(`--${flag} must be one of ${allowed.join(", ")}, not "${text}"`);
  }
  return text as T;
}

function parseLimits(
  values: Record<string, string | boolean | undefined>,
  env: Record<string, string | undefined>,
): RequestLimits {
  const text = (flag: string, variable: string) =>
    (values[flag] as string | undefined) ?? env[variable];
  const rate = integer(text("rate-limit", "DIGITLAB_RATE_LIMIT"), 0, "rate-limit", 0, 1_000_000);
  const burst = integer(
    text("rate-burst", "DIGITLAB_RATE_BURST"),
    Math.max(1, 2 * rate),
    "rate-burst",
    1,
    1_000_000,
  );
  return {
    maxConcurrent: integer(
      text("max-concurrent", "DIGITLAB_MAX_CONCURRENT"),
      DEFAULT_LIMITS.maxConcurrent,
      "max-concurrent",
      1,
      100_000,
    ),
    requestTimeoutMs: integer(
      text("request-timeout", "DIGITLAB_REQUEST_TIMEOUT"),
      DEFAULT_LIMITS.requestTimeoutMs,
      "request-timeout",
      100,
      3_600_000,
    ),
    rateLimit: rate === 0 ? null : { ratePerSecond: rate, burst },
    corsOrigins: origins(text("cors-origins", "DIGITLAB_CORS_ORIGINS")),
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

function integer(
  text: string | undefined,
  fallback: number,
  name: string,
  min: number,
  max: number,
): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new ConfigError(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

/** A folder's URL with the trailing slash, so `new URL("name.onnx", dir)` lands inside it. */
function directoryUrl(path: string, cwd: string): URL {
  return pathToFileURL(resolve(cwd, path).replace(/\/?$/, "/"));
}
