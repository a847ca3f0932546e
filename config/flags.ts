/**
 * Every option, once (FLAGS): its flag, its environment variable, its usage line, its default
 * and its parser. config.ts turns the parsed values into the typed Config.
 *
 * @module
 */
import type { LifecycleOptions } from "../config.ts";
import { DEFAULT_LIMITS } from "../middleware/mod.ts";
import { DEFAULT_ENGINE } from "../inference/engine.ts";
import { LOG_FORMATS } from "../metrics/observe.ts";
import { DEFAULT_PRECISION, PRECISIONS } from "../lib/model_metadata.ts";
import { POSTGRES_ENV_NAMES } from "../feedback/postgres_env.ts";
import { ConfigError, integer, milliseconds, oneOf, origins } from "./flag_values.ts";
import { DEFAULT_CONNECTION_LIMITS } from "../server/connection_guard.ts";

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8000,
  // issue 13: the model trained on real pen strokes reads people's drawings best.
  model: "draw",
  maxBodyBytes: 2 * 1024 * 1024,
  feedbackMax: 100_000,
} as const;

export const DEFAULT_LIFECYCLE: LifecycleOptions = {
  reusePort: false,
  drainWindowMs: 2_000,
  // nginx's lingering_time and lingering_timeout.
  lingerMs: 30_000,
  lingerIdleMs: 5_000,
  lingerMaxBytes: 64 * 1024 * 1024,
};

/** One flag: its variable, how its value reads in the usage text, its help, and its parser. */
export interface FlagSpec<T> {
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
export const FLAGS = {
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
  // Connections that send nothing, and how many may be open (server/connection_guard.ts).
  "idle-timeout": {
    env: "DIGITLAB_IDLE_TIMEOUT",
    value: "MS",
    help: "close a connection that sends no request for this long (since it opened or had " +
      "its last answer); 0: no relay in front of Deno.serve, so no timeouts and no cap (behind " +
      "a proxy that has them: ~20% more predictions per second)",
    shown: `${DEFAULT_CONNECTION_LIMITS.idleMs}`,
    parse: (text, flag) => {
      const ms = integer(DEFAULT_CONNECTION_LIMITS.idleMs, 0, 3_600_000)(text, flag);
      if (ms > 0 && ms < 100) throw new ConfigError(`--${flag} must be 0 (off) or at least 100`);
      return ms;
    },
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

/** What each flag parses to. */
export type FlagValues = { [K in keyof typeof FLAGS]: ReturnType<(typeof FLAGS)[K]["parse"]> };

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
