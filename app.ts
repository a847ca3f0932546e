/**
 * The whole HTTP surface on one Hono app: the JSON API (routes/api/) and the web UI
 * (routes/pages.ts), with security headers on every response and every error answered as
 * `{"error": code, "message": text}` with the status from lib/errors.ts.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context, ErrorHandler } from "hono";
import { HTTPException } from "hono/http-exception";
import { BigDecodePool } from "./inference/big_decode.ts";
import { DecodeLanes } from "./inference/decode_budget.ts";
import { InferenceEngine } from "./inference/engine.ts";
import type { ModelRegistry } from "./inference/model_registry.ts";
import { DigitlabError, type ErrorCode } from "./lib/errors.ts";
import { listingOf } from "./lib/model_metadata.ts";
import {
  DEFAULT_LIMITS,
  type RequestLimits,
  requestLimits,
  type UploadsInProgress,
} from "./middleware/mod.ts";
import { defaultSecurityHeaders } from "./middleware/security_headers.ts";
import { type LogFormat, type ObservedEnv, observeRequests } from "./metrics/observe.ts";
import { ServiceMetrics } from "./metrics/service_metrics.ts";
import { apiRoutes, type FeedbackOptions } from "./routes/api/mod.ts";
import {
  notFoundPage,
  pageRoutes,
  type PageRoutesOptions,
  reviewPageRoutes,
} from "./routes/pages.ts";

export interface AppOptions {
  registry: ModelRegistry;
  maxBodyBytes: number;
  /** Passed to the UI for the model cards' augmentation sheets. */
  modelsDir?: string;
  /** The UI's build output; the UI's own default when absent. */
  buildDir?: string;
  /** Concurrency cap, deadline, rate limit, CORS; DEFAULT_LIMITS when absent. */
  limits?: RequestLimits;
  /** Counts bodies still arriving, for main.ts's graceful shutdown. */
  uploads?: UploadsInProgress;
  /** Where predictions run (workers, batching); the main thread without waiting when absent. */
  engine?: InferenceEngine;
  /** Served at /metrics; a fresh set when absent. */
  metrics?: ServiceMetrics;
  /** Decoded pixels in flight (inference/decode_budget.ts); `limits.decodeMemoryBytes` when absent. */
  decodeBudget?: DecodeLanes;
  /** Where images over 1 MP are decoded (inference/big_decode.ts); a pool of one when absent. */
  bigDecodes?: BigDecodePool;
  /** One line per request on stdout; none when absent. */
  logFormat?: LogFormat;
  /** The feedback store (feedback/); no /feedback routes and no page controls when absent. */
  feedback?: FeedbackOptions;
  /** True once the server is shutting down: health probes then answer 503. */
  draining?: () => boolean;
}

/**
 * Builds the app. Handlers throw DigitlabError for anything a client got wrong; this is the
 * one place those become HTTP responses.
 *
 * @example
 * ```ts
 * import { loadModels } from "./inference/model_registry.ts";
 *
 * const models = new URL("./models/", import.meta.url);
 * const { registry } = await loadModels(models, { preferred: "cnn-aug", required: false });
 * const app = createApp({ registry, maxBodyBytes: 2 * 1024 * 1024 });
 * Deno.serve({ port: 8000 }, app.fetch);
 * ```
 */
export function createApp(options: AppOptions): Hono<ObservedEnv> {
  const { registry } = options;
  const engine = options.engine ?? InferenceEngine.inProcess();
  const metrics = options.metrics ??
    new ServiceMetrics({
      models: () => registry.models().map((model) => listingOf(model.metadata)),
      queued: () => engine.queued,
    });
  engine.observeBatches((rows, ms, queueMs) => metrics.observeBatch(rows, ms, queueMs));
  const app = new Hono<ObservedEnv>();
  // Observation first, so refusals by the limits are counted and logged too.
  app.use(observeRequests({ metrics, logFormat: options.logFormat ?? "none" }));
  app.use(defaultSecurityHeaders());
  // Limits (middleware/): before any route, so refusals cost nothing.
  app.use(...requestLimits(options.limits ?? DEFAULT_LIMITS, options.uploads));
  // The review page first: it answers browsers at /feedback and passes API calls on.
  if (options.feedback) {
    app.route(
      "/",
      reviewPageRoutes({
        listModels: () => registry.models().map((model) => model.metadata),
        buildDir: options.buildDir,
      }),
    );
  }
  const limits = options.limits ?? DEFAULT_LIMITS;
  const decodeBudget = options.decodeBudget ?? new DecodeLanes({ bytes: limits.decodeMemoryBytes });
  // Big images decode in a worker, one at a time, off this thread (#17).
  const bigDecodes = options.bigDecodes ?? new BigDecodePool(1);
  app.route("/", apiRoutes({ ...options, engine, metrics, decodeBudget, bigDecodes }));
  const pages: PageRoutesOptions = {
    listModels: () => registry.models().map((model) => model.metadata),
    defaultModel: registry.defaultName ?? "",
    modelsDir: options.modelsDir,
    buildDir: options.buildDir,
    feedback: options.feedback !== undefined,
  };
  app.route("/", pageRoutes(pages));
  const pageNotFound = notFoundPage(pages);
  app.notFound(async function notFound(c) {
    // A browser gets a page it can leave; API clients keep the JSON error.
    return (await pageNotFound(c)) ?? errorResponse(
      c,
      new DigitlabError("not_found", `no route for ${c.req.method} ${c.req.path}`),
    );
  });
  app.onError(handleError);
  return app;
}

const handleError: ErrorHandler = function handleError(error, c) {
  if (error instanceof DigitlabError) return errorResponse(c, error);
  if (error instanceof HTTPException && error.status < 500) {
    return errorResponse(c, new DigitlabError(codeForStatus(error.status), error.message));
  }
  // Our fault: log the details, tell the client only that it happened.
  console.error(`${c.req.method} ${c.req.path} failed:`, error);
  return errorResponse(c, new DigitlabError("internal_error", "internal server error"));
};

function errorResponse(c: Context, error: DigitlabError): Response {
  if (error.code === "method_not_allowed") c.header("Allow", "POST");
  return c.json(error.toJSON(), error.status as 400);
}

function codeForStatus(status: number): ErrorCode {
  switch (status) {
    case 404:
      return "not_found";
    case 405:
      return "method_not_allowed";
    case 413:
      return "payload_too_large";
    case 415:
      return "unsupported_media_type";
    default:
      return "bad_request";
  }
}
