/**
 * One data-parallel training worker (started by train_workers.ts): its own tfjs wasm instance
 * with this project's kernels and a copy of the model. Each step it computes the gradients of
 * its slice of the batch, adds every worker's through the shared exchange, and takes the same
 * Adam step as all the others, so the copies stay identical.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelName } from "../lib/model_metadata.ts";
import { type AdamState, readAdamState, restoreAdamState } from "./adam_state.ts";
import { buildModel } from "./architectures.ts";
import { withShard } from "./batch_shard.ts";
import { applyWeights, type Checkpoint, readWeights } from "./checkpoint.ts";
import { type ExchangeLayout, ShardExchange } from "./shard_exchange.ts";
import { modelConfig } from "./train_workers.ts";
import { initTrainingBackend } from "./tf_backend.ts";

/** What the coordinator sends. */
export type WorkerRequest =
  | {
    type: "init";
    name: ModelName;
    /** The seed the coordinator's model was built with (Dropout layers keep theirs). */
    seed: number;
    /** The coordinator's model as JSON: the worker's copy must be the same model. */
    config: string;
    rank: number;
    buffer: SharedArrayBuffer;
    layout: ExchangeLayout;
    weights: Checkpoint["weights"];
    adam: AdamState | null;
    learningRate: number;
  }
  | {
    type: "step";
    /** This worker's images (NHWC, normalised) and labels; empty when it has none. */
    images: Float32Array;
    labels: Int32Array;
    offset: number;
    total: number;
    /** Workers with images this step (ranks 0..participants-1). */
    participants: number;
    learningRate: number;
  }
  | { type: "state" };

/** What a worker answers. */
export type WorkerReply =
  | { type: "ready"; backend: string }
  | { type: "stepped"; loss: number }
  | { type: "state"; weights: Checkpoint["weights"]; adam: AdamState }
  | { type: "failed"; message: string };

interface Trainer {
  model: tf.LayersModel;
  optimizer: tf.AdamOptimizer;
  variables: tf.Variable[];
  exchange: ShardExchange;
  /** The batch's gradients, summed over the workers, in `variables` order. */
  summed: Float32Array;
}

let trainer: Trainer | undefined;

async function init(request: Extract<WorkerRequest, { type: "init" }>): Promise<WorkerReply> {
  const backend = await initTrainingBackend();
  const model = buildModel(request.name, request.seed);
  if (modelConfig(model) !== request.config) {
    throw new Error(`${request.name} built with seed ${request.seed} is not the model to train`);
  }
  applyWeights(model, request.weights);
  const optimizer = tf.train.adam(request.learningRate);
  // The order Adam keeps its moments in, and the gradients' order in the exchange.
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  if (request.adam) await restoreAdamState(optimizer, request.adam);
  const summed = new Float32Array(request.layout.gradients);
  const exchange = new ShardExchange(request.buffer, request.layout, request.rank);
  trainer = { model, optimizer, variables, exchange, summed };
  return { type: "ready", backend };
}

/** tfjs's wasm backend: gradients are read straight from its heap into the exchange. */
interface WasmHeap {
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

/** Writes this slice's share of the batch's gradients into the exchange; returns its loss. */
function sliceGradients(
  t: Trainer,
  request: Extract<WorkerRequest, { type: "step" }>,
): number {
  const slot = t.exchange.gradientSlot();
  const size = request.labels.length;
  if (size === 0) {
    slot.fill(0);
    return 0;
  }
  const shard = {
    offset: request.offset,
    size,
    total: request.total,
    sumOverBatch: (values: Float64Array) => t.exchange.sumStatistics(values, request.participants),
  };
  return withShard(shard, () =>
    tf.tidy(() => {
      const x = tf.tensor4d(request.images, [size, 28, 28, 1]);
      const y = tf.oneHot(tf.tensor1d(request.labels, "int32"), 10);
      // The batch's loss is the mean over all its images: this slice holds size/total of it.
      const { value, grads } = t.optimizer.computeGradients(() => {
        const logits = t.model.apply(x, { training: true }) as tf.Tensor;
        return tf.mul(tf.losses.softmaxCrossEntropy(y, logits), size / request.total);
      }, t.variables);
      const heap = tf.backend() as unknown as WasmHeap;
      let at = 0;
      for (const variable of t.variables) {
        slot.set(heap.typedArrayFromHeap(grads[variable.name]) as Float32Array, at);
        at += variable.size;
      }
      return value.dataSync()[0];
    }));
}

function step(request: Extract<WorkerRequest, { type: "step" }>): WorkerReply {
  const t = trainer!;
  const loss = sliceGradients(t, request);
  t.exchange.sumGradients(t.summed);
  // AdamOptimizer reads this field on every step; tfjs offers no setter.
  (t.optimizer as unknown as { learningRate: number }).learningRate = request.learningRate;
  tf.tidy(() => {
    let at = 0;
    const gradients = t.variables.map((variable) => {
      const values = t.summed.subarray(at, at += variable.size);
      return { name: variable.name, tensor: tf.tensor(values, variable.shape) };
    });
    t.optimizer.applyGradients(gradients);
  });
  return { type: "stepped", loss };
}

async function state(): Promise<WorkerReply> {
  const t = trainer!;
  return { type: "state", weights: readWeights(t.model), adam: await readAdamState(t.optimizer) };
}

const scope = self as unknown as {
  onmessage: (event: MessageEvent<WorkerRequest>) => void;
  postMessage: (reply: WorkerReply) => void;
};

// One request at a time, in order: a step must not start before init has finished.
let queue = Promise.resolve();
scope.onmessage = ({ data }) => {
  queue = queue.then(async () => {
    try {
      const reply = data.type === "init"
        ? await init(data)
        : data.type === "step"
        ? step(data)
        : await state();
      scope.postMessage(reply);
    } catch (error) {
      scope.postMessage({ type: "failed", message: String((error as Error)?.stack ?? error) });
    }
  });
};
