import assert, { deepStrictEqual } from "node:assert/strict";
import { thrownBy } from "./tests/helpers/thrown_by.ts";
import {
  ConfigError,
  DEFAULT_LIFECYCLE,
  DEFAULTS,
  parseConfig,
  SHIPPED_MODELS_DIR,
  USAGE,
} from "./config.ts";
import { DEFAULT_ENGINE } from "./inference/engine.ts";
import { DEFAULT_CONNECTION_LIMITS } from "./server/connection_guard.ts";

const parse = (args: string[], env: Record<string, string> = {}) =>
  parseConfig(args, env, "/srv/work");

const configError = (fn: () => unknown) => thrownBy(fn, ConfigError).message;

Deno.test("parseConfig: defaults serve the shipped models on port 8000", () => {
  const config = parse([]);
  deepStrictEqual(config.command, "serve");
  deepStrictEqual(config.host, DEFAULTS.host);
  deepStrictEqual(config.port, 8000);
  deepStrictEqual(config.modelsDir.href, SHIPPED_MODELS_DIR.href);
  deepStrictEqual(config.model, { preferred: "draw", required: false });
  deepStrictEqual(config.maxBodyBytes, 2 * 1024 * 1024);
  assert(SHIPPED_MODELS_DIR.href.endsWith("/models/"), SHIPPED_MODELS_DIR.href);
});

Deno.test("parseConfig: flags win over environment variables", () => {
  const env = { HOST: "0.0.0.0", PORT: "9000", DIGITLAB_MODEL: "mlp", DIGITLAB_MAX_BODY: "4096" };
  const fromEnv = parse([], env);
  deepStrictEqual([fromEnv.host, fromEnv.port, fromEnv.maxBodyBytes], ["0.0.0.0", 9000, 4096]);
  deepStrictEqual(fromEnv.model, { preferred: "mlp", required: true });
  const fromFlags = parse(
    ["--host", "::1", "--port=0", "--model", "cnn", "--max-body", "2048"],
    env,
  );
  deepStrictEqual([fromFlags.host, fromFlags.port, fromFlags.maxBodyBytes], ["::1", 0, 2048]);
  deepStrictEqual(fromFlags.model.preferred, "cnn");
});

Deno.test("parseConfig: --models resolves against the working directory", () => {
  deepStrictEqual(parse(["--models", "extra"]).modelsDir.href, "file:///srv/work/extra/");
  deepStrictEqual(parse(["--models", "/opt/m/"]).modelsDir.href, "file:///opt/m/");
  deepStrictEqual(parse([], { DIGITLAB_MODELS: "/a b" }).modelsDir.href, "file:///a%20b/");
});

Deno.test("parseConfig: commands", () => {
  deepStrictEqual(parse(["--help"]).command, "help");
  deepStrictEqual(parse(["-h"]).command, "help");
  deepStrictEqual(parse(["--version"]).command, "version");
  const check = parse(["healthcheck", "--port", "8123"]);
  deepStrictEqual([check.command, check.port], ["healthcheck", 8123]);
});

Deno.test("parseConfig: bad flags and values are ConfigErrors that say what is wrong", () => {
  assert(configError(() => parse(["--prot", "1"])).includes("--prot"));
  assert(configError(() => parse(["--port", "http"])).includes("--port"));
  assert(configError(() => parse(["--port", "70000"])).includes("65535"));
  assert(configError(() => parse([], { PORT: "-1" })).includes("--port"));
  assert(configError(() => parse(["--max-body", "10"])).includes("--max-body"));
  assert(configError(() => parse(["serve-forever"])).includes("serve-forever"));
});

Deno.test("parseConfig: limits default to a cap and a deadline, no rate limit, no CORS", () => {
  const { limits } = parse([]);
  deepStrictEqual(limits, {
    maxConcurrent: 128,
    requestTimeoutMs: 10_000,
    rateLimit: null,
    corsOrigins: [],
    perClientConcurrent: 64,
    decodeMemoryBytes: 192 * 1024 * 1024,
    trustProxy: false,
  });
});

Deno.test("parseConfig: limits from flags and environment", () => {
  const env = {
    DIGITLAB_MAX_CONCURRENT: "8",
    DIGITLAB_REQUEST_TIMEOUT: "2500",
    DIGITLAB_RATE_LIMIT: "5",
    DIGITLAB_CORS_ORIGINS: "https://a.example, http://localhost:5173",
  };
  deepStrictEqual(parse([], env).limits, {
    maxConcurrent: 8,
    requestTimeoutMs: 2500,
    rateLimit: { ratePerSecond: 5, burst: 10 },
    corsOrigins: ["https://a.example", "http://localhost:5173"],
    perClientConcurrent: 64,
    decodeMemoryBytes: 192 * 1024 * 1024,
    trustProxy: false,
  });
  const flags = parse(
    ["--max-concurrent=2", "--rate-limit", "1", "--rate-burst", "3", "--cors-origins", "*"],
    env,
  );
  deepStrictEqual(flags.limits.maxConcurrent, 2);
  deepStrictEqual(flags.limits.rateLimit, { ratePerSecond: 1, burst: 3 });
  deepStrictEqual(flags.limits.corsOrigins, ["*"]);
});

Deno.test("parseConfig: bad limits are refused with the flag's name", () => {
  assert(configError(() => parse(["--max-concurrent", "0"])).includes("--max-concurrent"));
  assert(configError(() => parse(["--request-timeout", "5"])).includes("--request-timeout"));
  assert(configError(() => parse(["--rate-limit", "-1"])).includes("--rate-limit"));
  const cors = configError(() => parse(["--cors-origins", "https://a.example/path"]));
  assert(cors.includes("https://a.example/path"), cors);
  assert(configError(() => parse(["--cors-origins", "a.example"])).includes("a.example"));
});

Deno.test("parseConfig: serving flags (workers, ORT threads, batching, log format)", () => {
  const defaults = parse([]);
  deepStrictEqual(defaults.engine, DEFAULT_ENGINE);
  deepStrictEqual(defaults.logFormat, "json");
  const env = {
    DIGITLAB_WORKERS: "2",
    DIGITLAB_ORT_THREADS: "2",
    DIGITLAB_MAX_BATCH: "16",
    DIGITLAB_BATCH_WAIT: "1.5",
    DIGITLAB_LOG_FORMAT: "text",
    DIGITLAB_PREPROCESS_IN: "main",
  };
  const fromEnv = parse([], env);
  deepStrictEqual(fromEnv.engine, {
    workers: 2,
    ortThreads: 2,
    preprocessIn: "main",
    maxBatch: 16,
    maxWaitMs: 1.5,
  });
  deepStrictEqual(fromEnv.logFormat, "text");
  const fromFlags = parse(["--workers", "0", "--batch-wait", "0", "--log-format", "none"], env);
  deepStrictEqual([fromFlags.engine.workers, fromFlags.engine.maxWaitMs], [0, 0]);
  deepStrictEqual(fromFlags.logFormat, "none");
  for (
    const args of [
      ["--workers", "-1"],
      ["--ort-threads", "0"],
      ["--max-batch", "0"],
      ["--batch-wait", "abc"],
      ["--batch-wait", "500"],
      ["--log-format", "xml"],
      ["--preprocess-in", "gpu"],
    ]
  ) {
    assert(configError(() => parse(args)).includes(args[0]), args.join(" "));
  }
});

Deno.test("parseConfig: --precision picks int8 twins by default, fp32 on request", () => {
  deepStrictEqual(parse([]).precision, "int8");
  deepStrictEqual(parse([], { DIGITLAB_PRECISION: "fp32" }).precision, "fp32");
  deepStrictEqual(parse(["--precision", "int8"], { DIGITLAB_PRECISION: "fp32" }).precision, "int8");
  assert(configError(() => parse(["--precision", "fp16"])).includes("fp16"));
});

Deno.test("parseConfig: feedback flags, the data folder and the backup command", () => {
  const env = { HOME: "/home/u" };
  const plain = parseConfig([], env, "/srv/work").feedback;
  deepStrictEqual(plain, {
    enabled: true,
    dataDir: "/home/u/.local/share/digitlab",
    databaseUrl: null,
    maxExamples: DEFAULTS.feedbackMax,
    adminTokenFile: null,
  });
  const set = parseConfig(
    ["--feedback", "off", "--data-dir", "state", "--feedback-max", "5", "--admin-token-file", "t"],
    { ...env, DIGITLAB_FEEDBACK_DB: "postgres://db:5432/x", XDG_DATA_HOME: "/xdg" },
    "/srv/work",
  ).feedback;
  deepStrictEqual(set, {
    enabled: false,
    dataDir: "/srv/work/state",
    databaseUrl: "postgres://db:5432/x",
    maxExamples: 5,
    adminTokenFile: "/srv/work/t",
  });
  const backup = parseConfig(["backup", "copy.sqlite3"], env, "/srv/work");
  deepStrictEqual([backup.command, backup.backupTarget], ["backup", "/srv/work/copy.sqlite3"]);
  assert.throws(() => parse(["backup"]), ConfigError);
  assert.throws(() => parse(["--feedback", "maybe"]), ConfigError);
  assert.throws(() => parse(["--feedback-db", "mysql://x"]), ConfigError);
  assert.throws(() => parse(["--feedback-max", "-1"]), ConfigError);
});

Deno.test("parseConfig: hostile-client flags (per-client cap, decode memory, trusted proxy)", () => {
  const env = {
    DIGITLAB_PER_CLIENT: "4",
    DIGITLAB_DECODE_MEMORY: "64",
    DIGITLAB_TRUST_PROXY: "1",
  };
  const fromEnv = parse([], env).limits;
  deepStrictEqual(
    [fromEnv.perClientConcurrent, fromEnv.decodeMemoryBytes, fromEnv.trustProxy],
    [4, 64 * 1024 * 1024, true],
  );
  const flags = parse(["--per-client", "2", "--decode-memory", "32", "--trust-proxy", "1"]);
  deepStrictEqual(
    [flags.limits.perClientConcurrent, flags.limits.decodeMemoryBytes, flags.limits.trustProxy],
    [2, 32 * 1024 * 1024, true],
  );
  assert(configError(() => parse(["--per-client", "0"])).includes("--per-client"));
  assert(configError(() => parse(["--decode-memory", "1"])).includes("--decode-memory"));
  assert(configError(() => parse([], { DIGITLAB_TRUST_PROXY: "yes" })).includes("--trust-proxy"));
});

Deno.test("parseConfig: restart flags (reuse-port switch, drain window, lingering close)", () => {
  deepStrictEqual(parseConfig([], {}, "/").lifecycle, DEFAULT_LIFECYCLE);
  deepStrictEqual(DEFAULT_LIFECYCLE.lingerMs, 30_000); // nginx's lingering_time
  deepStrictEqual(DEFAULT_LIFECYCLE.lingerIdleMs, 5_000); // nginx's lingering_timeout
  const flagged = parseConfig(
    ["--reuse-port", "--drain-window", "500", "--linger-time", "1000", "--linger-max", "2048"],
    { DIGITLAB_LINGER_TIMEOUT: "200" },
    "/",
  ).lifecycle;
  deepStrictEqual(flagged, {
    reusePort: true,
    drainWindowMs: 500,
    lingerMs: 1000,
    lingerIdleMs: 200,
    lingerMaxBytes: 2048,
  });
  deepStrictEqual(parseConfig([], { DIGITLAB_REUSE_PORT: "1" }, "/").lifecycle.reusePort, true);
  deepStrictEqual(parseConfig([], { DIGITLAB_REUSE_PORT: "0" }, "/").lifecycle.reusePort, false);
  const bad: [string[], Record<string, string>][] = [
    [[], { DIGITLAB_REUSE_PORT: "yes" }],
    [["--drain-window", "-1"], {}],
  ];
  for (const [args, env] of bad) assert(thrownBy(() => parseConfig(args, env, "/"), ConfigError));
  assert(USAGE.includes("--reuse-port "), USAGE);
});

Deno.test("parseConfig: connection flags (idle and header timeouts, the cap; idle 0 turns the relay off)", () => {
  deepStrictEqual(parseConfig([], {}, "/").connections, DEFAULT_CONNECTION_LIMITS);
  const flagged = parseConfig(
    ["--idle-timeout", "2000", "--header-timeout", "3000"],
    { DIGITLAB_MAX_CONNECTIONS: "50" },
    "/",
  ).connections;
  deepStrictEqual(flagged, { idleMs: 2000, headerMs: 3000, maxConnections: 50 });
  deepStrictEqual(parseConfig(["--idle-timeout", "0"], {}, "/").connections.idleMs, 0);
  for (
    const args of [["--idle-timeout", "50"], ["--header-timeout", "0"], ["--max-connections", "0"]]
  ) {
    assert(thrownBy(() => parseConfig(args, {}, "/"), ConfigError), args.join(" "));
  }
});
