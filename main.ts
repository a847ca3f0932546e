/**
 * digitlab's entry point: `digitlab [--host H] [--port P] [--models DIR] [--model NAME]` serves
 * the web UI and the JSON API from one process; `digitlab healthcheck` asks a running one.
 *
 * Needs only --allow-net, --allow-read and --allow-env: paths come from the module's location,
 * never the working directory, so the compiled binary runs from anywhere.
 *
 * @module
 */
import { fileURLToPath } from "node:url";
import { createApp } from "./app.ts";
import {
  type Config,
  ConfigError,
  DATA_HOME_ENV_NAMES,
  ENV_NAMES,
  type LifecycleOptions,
  parseConfig,
  USAGE,
} from "./config.ts";
import { InferenceEngine } from "./inference/engine.ts";
import { watchModels } from "./inference/hot_reload.ts";
import { initImageDecoders } from "./inference/image_decode.ts";
import { loadModels } from "./inference/model_registry.ts";
import { initOnnxRuntime } from "./inference/onnx_runtime.ts";
import { warmUpPreprocessing } from "./inference/predict.ts";
import { listingOf } from "./lib/model_metadata.ts";
import { BigDecodePool } from "./inference/big_decode.ts";
import { VERSION } from "./lib/version.ts";
import { UploadsInProgress } from "./middleware/mod.ts";
import { DecodeLanes } from "./inference/decode_budget.ts";
import { IMAGE_UPLOAD_PATHS } from "./routes/api/decode_admission.ts";
import { ServiceMetrics } from "./metrics/service_metrics.ts";
import { runBackup } from "./feedback/backup.ts";
import { startFeedback } from "./feedback/open_store.ts";
import {
  BigUploadShed,
  ConnectionDrain,
  dropWritePermission,
  lingerAfterRefusal,
  serveGuarded,
  serveResiliently,
  serveUntilSignalled,
  SHED_MIN_BYTES,
  SHUTDOWN_GRACE_MS,
} from "./server/mod.ts";

/** Runs the command line; resolves to the exit code. */
export async function main(args: string[]): Promise<number> {
  let config: Config;
  try {
    const names = [...ENV_NAMES, ...DATA_HOME_ENV_NAMES];
    const env = Object.fromEntries(names.map((name) => [name, Deno.env.get(name)]));
    config = parseConfig(args, env, Deno.cwd());
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    console.error(`digitlab: ${error.message}\nRun "digitlab --help" for the options.`);
    return 2;
  }
  switch (config.command) {
    case "help":
      console.log(USAGE);
      return 0;
    case "version":
      console.log(`digitlab ${VERSION}`);
      return 0;
    case "healthcheck":
      return await healthcheck(config);
    case "backup":
      return await runBackup(config.feedback, config.backupTarget!);
    case "serve":
      return await serve(config);
  }
}

/** Serves until SIGINT or SIGTERM, then finishes in-flight requests and exits 0. */
async function serve(config: Config): Promise<number> {
  // First: a corrupt database or an unreadable token stops the start before anything else.
  const feedback = await startFeedback(config.feedback).catch((error: Error) => error);
  if (feedback instanceof Error) {
    console.error(`digitlab: ${feedback.message}`);
    return 1;
  }
  // Before any worker starts, so they inherit the refusal too.
  await dropWritePermission();
  // Only a main thread that runs the models itself needs onnxruntime (and its 14 MB of wasm
  // bytes, which ort keeps): with workers, they hold the runtime.
  if (config.engine.workers === 0) initOnnxRuntime({ numThreads: config.engine.ortThreads });
  const [engine] = await Promise.all([InferenceEngine.start(config.engine), initImageDecoders()]);
  // With workers, only they run onnxruntime (each instance costs ~110 MB); they check each model.
  const loaded = await loadModels(config.modelsDir, config.model, {
    mainSession: engine.needsMainSession,
    precision: config.precision,
    prepare: (model) => engine.prepare(model),
  }).catch((error: Error) => error);
  if (loaded instanceof Error) {
    console.error(`digitlab: ${loaded.message}`);
    await feedback?.store.close();
    engine.close();
    return 1;
  }
  const { registry, problems } = loaded;
  warmUpPreprocessing();
  for (const problem of problems) console.warn(`digitlab: ${problem}`);
  const uploads = new UploadsInProgress();
  const { lifecycle } = config;
  const drain = new ConnectionDrain({ idleMs: lifecycle.drainWindowMs });
  const metrics = new ServiceMetrics({
    models: () => registry.models().map((model) => listingOf(model.metadata)),
    queued: () => engine.queued,
  });
  // One big-image worker started now, so the first big image does not wait for it.
  const bigDecodes = new BigDecodePool(1);
  bigDecodes.warmUp();
  // Shared with the shed below, which refuses a burst's excess before the app.
  const decodeBudget = new DecodeLanes({ bytes: config.limits.decodeMemoryBytes });
  const app = createApp({
    bigDecodes,
    decodeBudget,
    registry,
    maxBodyBytes: config.maxBodyBytes,
    limits: config.limits,
    uploads,
    modelsDir: fileURLToPath(config.modelsDir),
    engine,
    metrics,
    logFormat: config.logFormat,
    feedback,
    draining: () => drain.draining,
  });
  const reloader = watchModels({
    dir: config.modelsDir,
    registry,
    engine,
    metrics,
    precision: config.precision,
  });

  let server: Deno.HttpServer<Deno.NetAddr>;
  try {
    const announce = ({ hostname, port }: Deno.NetAddr) => {
      const models = registry.models().map((m) => m.metadata.name).join(", ") || "none";
      console.log(
        `digitlab ${VERSION} listening on ${httpUrl(hostname, port)} ` +
          `(models: ${models}; default: ${registry.defaultName ?? "none"}; ` +
          `ready in ${Math.round(performance.now())} ms)`,
      );
    };
    // A burst's excess of big uploads is refused before the app (server/big_upload_shed.ts).
    const shed = new BigUploadShed({
      bigLane: decodeBudget.big,
      paths: IMAGE_UPLOAD_PATHS,
      minBytes: SHED_MIN_BYTES,
      trustProxy: config.limits.trustProxy,
      onShed: (path, ms) => metrics.observeRequest(path, "POST", 503, ms),
    });
    const handler = drain.handler(
      shed.handler(lingerAfterRefusal(app.fetch, lingerOptions(lifecycle))),
    );
    const listen = { hostname: config.host, port: config.port, reusePort: lifecycle.reusePort };
    // --idle-timeout 0: Deno.serve on the port itself (no relay, no timeouts, no cap).
    server = config.connections.idleMs === 0
      ? serveResiliently(
        { ...listen, onListen: (addr, restarts) => restarts || announce(addr) },
        handler,
      )
      : serveGuarded({
        ...config.connections,
        ...listen,
        // A closing answer's client may still be sending a refused body (lingering_close.ts).
        closingMs: lifecycle.lingerMs + 1_000,
        onListen: announce,
        answerAtHead: (head, peer) => shed.atHead(head, peer),
      }, handler);
  } catch (error) {
    if (error instanceof Deno.errors.NotCapable) {
      // The binary's compiled --allow-net lists the addresses it may listen on.
      console.error(
        `digitlab: cannot listen on ${config.host}: the binary may listen only on 0.0.0.0, ::, ` +
          `127.0.0.1, ::1 or localhost (docs/deploy.md)`,
      );
      await feedback?.store.close();
      return 1;
    }
    if (error instanceof Deno.errors.AddrInUse) {
      console.error(`digitlab: port ${config.port} on ${config.host} is in use; try --port`);
      await feedback?.store.close();
      return 1;
    }
    throw error;
  }

  const { drained } = await serveUntilSignalled(server, {
    allUploadsArrived: (timeoutMs) => uploads.allArrived(timeoutMs),
    uploadsArriving: () => uploads.count > 0,
    graceMs: SHUTDOWN_GRACE_MS,
    drain,
    drainWindowMs: lifecycle.drainWindowMs,
  });
  reloader.close();
  // Requests abandoned after the grace period may still hold sessions: exit without closing.
  if (drained) await registry.close();
  await feedback?.store.close();
  engine.close();
  bigDecodes.close();
  return 0;
}

/** Exit 0 when the server at --host/--port says it is healthy; for container health checks. */
async function healthcheck(config: Config): Promise<number> {
  // A server listening on every interface is reachable on loopback.
  const host = config.host === "0.0.0.0" ? "127.0.0.1" : config.host === "::" ? "::1" : config.host;
  const url = `${httpUrl(host, config.port)}health`;
  try {
    const response = await fetch(url, { signal: AbortSignal.timeout(3000) });
    const body = await response.json().catch(() => null);
    if (response.ok && body?.status === "healthy") {
      console.log(`healthy: ${url}`);
      return 0;
    }
    console.error(`unhealthy: ${url} answered ${response.status} ${JSON.stringify(body)}`);
  } catch (error) {
    console.error(`unhealthy: ${url}: ${(error as Error).message}`);
  }
  return 1;
}

function lingerOptions(lifecycle: LifecycleOptions) {
  const { lingerMs: totalMs, lingerIdleMs: idleMs, lingerMaxBytes: maxBytes } = lifecycle;
  return { totalMs, idleMs, maxBytes };
}

function httpUrl(hostname: string, port: number): string {
  return `http://${hostname.includes(":") ? `[${hostname}]` : hostname}:${port}/`;
}

if (import.meta.main) Deno.exit(await main(Deno.args));
