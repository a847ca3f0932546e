/**
 * What the prediction routes (/predict, /predict/number) note for the request log and the
 * metrics (metrics/observe.ts): the model asked for, and how its batch ran.
 *
 * @module
 */
import type { Context } from "hono";
import type { ModelRegistry } from "../../inference/model_registry.ts";
import type { ObservedEnv } from "../../metrics/observe.ts";

/**
 * The `?model=` a request names (null: the default), checked and noted before the body is read,
 * so an unknown name costs nothing. Throws the registry's 404 for an unknown one.
 */
export function requestedModel(c: Context<ObservedEnv>, registry: ModelRegistry): string | null {
  const model = c.req.query("model") || null;
  c.set("model", registry.get(model).metadata.name);
  return model;
}

/** Notes the batch an answer ran in: its wait for a worker, the model run, digits in it. */
export function noteBatch(
  c: Context<ObservedEnv>,
  answer: { timings: { queueMs: number; inferenceMs: number }; batchSize: number },
): void {
  const { queueMs, inferenceMs } = answer.timings;
  c.set("batch", { queueMs, inferenceMs, batchSize: answer.batchSize });
}
