/**
 * The OpenAPI 3.1 description of the JSON API, served at `/openapi.json` and rendered by
 * Swagger UI at `/docs`. Each route documents itself where it is declared
 * (`app.get(path, documented({...}), handler)`); the document is built from the app's routes,
 * so a path and its method are written once, in the route. What several routes share (the
 * schemas, the error answer, the `model` parameter) is here.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import type { RouterRoute } from "hono/types";
import { ERROR_STATUS } from "../../lib/errors.ts";
import { VERSION } from "../../lib/version.ts";

/** An OpenAPI operation object (summary, parameters, requestBody, responses...). */
export type Operation =
  & { summary: string; responses: Record<string, unknown> }
  & Record<
    string,
    unknown
  >;

/** A route's documentation: a middleware that passes on, carrying its operation. */
export type DocumentedRoute = MiddlewareHandler & { readonly operation: Operation };

/**
 * Documents the route it is declared on.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * const app = new Hono();
 * const live = documented({ summary: "v2: liveness", responses: {} });
 * app.get("/v2/health/live", live, (c) => c.json({ live: true }));
 * ```
 */
export function documented(operation: Operation): DocumentedRoute {
  const route: MiddlewareHandler = function documentedRoute(_c, next) {
    return next();
  };
  return Object.assign(route, { operation });
}

/**
 * The document for the documented ones among `routes` (a Hono app's `routes`): Hono's
 * `:name` parameters become OpenAPI's `{name}`. `servers` is left out so "try it out" calls the
 * origin serving the docs.
 */
export function openApiDocument(routes: readonly RouterRoute[]) {
  const paths: Record<string, Record<string, Operation>> = {};
  for (const { method, path, handler } of routes) {
    const operation = (handler as Partial<DocumentedRoute>).operation;
    if (!operation) continue;
    const key = path.replace(/:(\w+)/g, "{$1}");
    paths[key] = { ...paths[key], [method.toLowerCase()]: operation };
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "digitlab",
      version: VERSION,
      description: "Handwritten digit recognition. Send a picture of one digit (a canvas PNG, " +
        "a photo, a 28x28 MNIST image) and get the digit with its probabilities. Images are " +
        "prepared the way MNIST's were: ink cropped, fitted into 20x20, centred by mass in 28x28.",
    },
    paths,
    // The admin scheme only when a served route uses it (--feedback off serves none).
    components: Object.values(paths).some((ops) => Object.values(ops).some((op) => op.security))
      ? { ...COMPONENTS, securitySchemes: SECURITY_SCHEMES }
      : COMPONENTS,
  };
}

/** Bearer tokens for the admin routes (routes/api/feedback.ts). */
const SECURITY_SCHEMES = {
  adminToken: {
    type: "http",
    scheme: "bearer",
    description: "The token in the server's --admin-token-file.",
  },
};

const errorCodes = Object.keys(ERROR_STATUS);

/** A JSON response of `schema`. */
export const json = (schema: unknown, description: string) => ({
  description,
  content: { "application/json": { schema } },
});

/** The app's one error answer. */
export const error = (description: string) =>
  json({ $ref: "#/components/schemas/Error" }, description);

/** `?model=NAME` on /predict and /model_info. */
export const modelParameter = {
  name: "model",
  in: "query",
  required: false,
  description: "Model name (see GET /models); the server's default when absent.",
  schema: { type: "string", examples: ["cnn-aug"] },
};

export const probability = { type: "number", minimum: 0, maximum: 1 };

/** The `{name}` in v2 paths. */
export const v2ModelName = {
  name: "name",
  in: "path",
  required: true,
  description: "Model name (see GET /models).",
  schema: { type: "string", examples: ["cnn-aug"] },
};

const COMPONENTS = {
  schemas: {
    Prediction: {
      type: "object",
      required: [
        "result",
        "probabilities",
        "model",
        "top3",
        "confident",
        "runnerUp",
        "input",
        "timings",
      ],
      properties: {
        result: { type: "integer", minimum: 0, maximum: 9 },
        probabilities: {
          type: "array",
          items: probability,
          minItems: 10,
          maxItems: 10,
          description: "Probability of each digit 0-9; they sum to 1.",
        },
        model: { type: "string" },
        top3: {
          type: "array",
          items: {
            type: "object",
            properties: { digit: { type: "integer" }, probability },
          },
        },
        confident: {
          type: "boolean",
          description: "False when the answer should not be trusted: the top probability is " +
            "low, the top two are close, or the ink cannot be a digit (a dot, a straight line, " +
            "a filled blob, a scribble); `reason` then says which.",
        },
        runnerUp: {
          type: "object",
          properties: { digit: { type: "integer" }, probability },
          description: "The second most likely digit.",
        },
        reason: {
          type: "string",
          description: "Why the answer is not confident (absent when it is), e.g. " +
            '"close call: 7 or 2" or "a scribble, not a digit".',
        },
        input: {
          type: "array",
          items: probability,
          minItems: 784,
          maxItems: 784,
          description: "The 28x28 image the model saw, row-major, 1 = ink (before mean/std).",
        },
        batchSize: {
          type: "integer",
          description: "Digits in the batch this request ran in (dynamic batching).",
        },
        timings: {
          type: "object",
          properties: Object.fromEntries(
            ["decodeMs", "preprocessMs", "queueMs", "inferenceMs", "totalMs"].map((k) => [k, {
              type: "number",
            }]),
          ),
        },
      },
    },
    ModelSummary: {
      type: "object",
      properties: {
        name: { type: "string" },
        version: { type: "string" },
        testAccuracy: probability,
        parameters: { type: "integer" },
        architecture: { type: "array", items: { type: "string" } },
      },
    },
    Health: {
      type: "object",
      required: ["status", "models"],
      properties: {
        status: { type: "string", enum: ["healthy", "draining", "unhealthy"] },
        version: { type: "string" },
        default: { type: ["string", "null"] },
        models: {
          type: "array",
          items: {
            type: "object",
            properties: { name: { type: "string" }, version: { type: "string" } },
          },
        },
      },
    },
    Error: {
      type: "object",
      required: ["error", "message"],
      properties: {
        error: { type: "string", enum: errorCodes },
        message: { type: "string" },
      },
    },
  },
};
