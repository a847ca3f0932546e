/**
 * One data-parallel training worker (started by train_workers.ts): its own tfjs wasm instance
 * with this project's kernels and a copy of the model. Each step it computes the gradients of
 * its slice of the batch, sums every worker's gradients over its own slice of the weights and
 * takes Adam's step on that slice (wasm_adam.ts, tfjs's arithmetic) in one pass, and loads the whole
 * updated model from the shared exchange, so the copies stay identical.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { ModelName, Normalisation } from "../lib/model_metadata.ts";
import type { AdamState } from "./adam_state.ts";
import { buildModel, type SeededAugmenter, trainingAugmenter } from "./architectures.ts";
import { withTrainingStep } from "./batch_dropout.ts";
import { fillBatch } from "./batch_fill.ts";
import { withShard } from "./batch_shard.ts";
import { applyWeights, type Checkpoint, readWeights } from "./checkpoint.ts";
import { startingStep } from "./heap_adam.ts";
import { type ExchangeLayout, ShardExchange } from "./shard_exchange.ts";
import { Random } from "./random.ts";
import { type Distillation, Teacher, trainingLoss } from "./distillation.ts";
import { targetValues } from "./soft_targets.ts";
import { type AdamStep, nextAccumulators, ownedRange } from "./split_adam.ts";
import { type PhaseTimes, StepClock } from "./step_timing.ts";
import { modelConfig } from "./train_workers.ts";
import { initTrainingBackend } from "./tf_backend.ts";
import { WasmAdam } from "./wasm_adam.ts";

/**
 * A worker's images for a step: normalised floats (NHWC), or the set's bytes, which the worker
 * normalises and (with seeds) augments itself.
 */
export type StepImages =
  | { normalised: Float32Array }
  | { pixels: Uint8Array; seeds: Uint32Array | null };

/** What the coordinator sends. */
export type WorkerRequest =
  | {
    type: "init";
    name: ModelName;
    /** The seed the coordinator's model was built with (Dropout layers keep theirs). */
    seed: number;
    /** Its filters' scale (architectures.ts widthFor). */
    width: number;
    /** The coordinator's model as JSON: the worker's copy must be the same model. */
    config: string;
    rank: number;
    /** The exchange (shard_exchange.ts): a shared WebAssembly.Memory. */
    memory: WebAssembly.Memory;
    layout: ExchangeLayout;
    weights: Checkpoint["weights"];
    adam: AdamState | null;
    learningRate: number;
    /** The layers' mode: false keeps BatchNorm's moving statistics and drops no units. */
    training: boolean;
    /** For steps with pixels: augment with the architecture's augmenter, and normalise so. */
    augment: boolean;
    normalisation: Normalisation | null;
    /** A teacher to read each slice (distillation.ts); null trains on the labels alone. */
    distillation: Distillation | null;
  }
  | {
    type: "step";
    /** This worker's images and labels; empty when it has none. */
    images: StepImages;
    labels: Int32Array;
    offset: number;
    total: number;
    /** Workers with images this step (ranks 0..participants-1). */
    participants: number;
    learningRate: number;
    /** Steps taken before this one in the run (Dropout's masks). */
    step: number;
  }
  | { type: "state" };

/** What a worker answers. */
export type WorkerReply =
  | { type: "ready"; backend: string }
  | { type: "stepped"; loss: number; timing: PhaseTimes }
  | { type: "state"; weights: Checkpoint["weights"]; adam: AdamState }
  | { type: "failed"; message: string };

interface Trainer {
  model: tf.LayersModel;
  variables: tf.Variable[];
  exchange: ShardExchange;
  /** Adam's constants (tfjs's defaults) and accumulators; the moments live in the exchange. */
  adam: AdamStep & { iterations: number };
  /** The flat weight indices this worker updates, and the kernel that updates them. */
  owned: [number, number];
  kernel: WasmAdam;
  training: boolean;
  augmenter: SeededAugmenter | undefined;
  normalisation: Normalisation | null;
  /** The step's normalised images, grown to the largest slice. */
  images: Float32Array;
  distillation: Distillation | null;
  teacher: Teacher | null;
}

let trainer: Trainer | undefined;

async function init(request: Extract<WorkerRequest, { type: "init" }>): Promise<WorkerReply> {
  const backend = await initTrainingBackend();
  const model = buildModel(request.name, request.seed, request.width);
  if (modelConfig(model) !== request.config) {
    throw new Error(`${request.name} built with seed ${request.seed} is not the model to train`);
  }
  applyWeights(model, request.weights);
  // The order Adam keeps its moments in, and the gradients' order in the exchange.
  const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
  const exchange = new ShardExchange(request.memory, request.layout, request.rank);
  const adam = startingStep(request.learningRate, request.adam);
  // Every worker starts the step after all inits: one writer for the shared starting point.
  if (request.rank === 0) loadParameters(exchange, variables, request.adam);
  const owned = ownedRange(request.layout.gradients, request.layout.workers, request.rank);
  trainer = {
    model,
    variables,
    exchange,
    adam,
    owned,
    kernel: new WasmAdam(request.memory),
    training: request.training,
    augmenter: request.augment ? trainingAugmenter(request.name, new Random(0)) : undefined,
    normalisation: request.normalisation,
    images: new Float32Array(0),
    distillation: request.distillation,
    teacher: request.distillation ? await Teacher.open(request.distillation) : null,
  };
  return { type: "ready", backend };
}

/** Writes the starting weights and moments (zero for a fresh optimizer) into the exchange. */
function loadParameters(
  exchange: ShardExchange,
  variables: tf.Variable[],
  adam: AdamState | null,
): void {
  let at = 0;
  variables.forEach((variable, i) => {
    exchange.weights.set(variable.dataSync() as Float32Array, at);
    if (adam) {
      exchange.firstMoments.set(adam.moments[i].values, at);
      exchange.secondMoments.set(adam.moments[variables.length + i].values, at);
    }
    at += variable.size;
  });
}

/** tfjs's wasm backend: gradients are read straight from its heap into the exchange. */
interface WasmHeap {
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

/** Writes this slice's share of the batch's gradients into the exchange; returns its loss. */
function sliceGradients(
  t: Trainer,
  request: Extract<WorkerRequest, { type: "step" }>,
  images: Float32Array,
  soft: Float32Array | null,
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
      const x = tf.tensor4d(images.subarray(0, size * 784), [size, 28, 28, 1]);
      const y = targetValues(request.labels);
      // The batch's loss is the mean over all its images: this slice holds size/total of it.
      const { value, grads } = tf.variableGrads(() => {
        const logits = t.model.apply(x, { training: t.training }) as tf.Tensor2D;
        return trainingLoss(y, soft, logits, size / request.total, t.distillation);
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

/** This step's normalised images: as sent, or filled (and augmented) from the pixels. */
function stepImages(t: Trainer, images: StepImages, size: number): Float32Array {
  if ("normalised" in images) return images.normalised;
  if (!t.normalisation) throw new Error("steps with pixels need the pool's normalisation");
  if (t.images.length < size * 784) t.images = new Float32Array(size * 784);
  const indices = Array.from({ length: size }, (_, n) => n);
  const augmenter = images.seeds ? t.augmenter : undefined;
  fillBatch(
    { images: images.pixels },
    indices,
    t.normalisation,
    t.images,
    augmenter,
    images.seeds ?? undefined,
  );
  return t.images;
}

async function step(request: Extract<WorkerRequest, { type: "step" }>): Promise<WorkerReply> {
  const t = trainer!;
  const clock = new StepClock(() => ({
    wall: t.exchange.waitedMs,
    cpu: t.exchange.waitedCpuMs,
  }));
  const images = stepImages(t, request.images, request.labels.length);
  clock.lap("augment");
  const size = request.labels.length;
  const soft = t.teacher && size > 0 ? await t.teacher.targets(images, size) : null;
  clock.lap("teacher");
  const loss = withTrainingStep(request.step, () => sliceGradients(t, request, images, soft));
  clock.lap("compute");
  const [begin, end] = t.owned;
  const gradients = t.exchange.gradientsOver(begin, end);
  // The kernel adds the gradients as it updates: the sum is booked to Adam.
  clock.lap("sum");
  t.adam.learningRate = request.learningRate;
  const { weights, firstMoments, secondMoments } = t.exchange;
  const owned = (view: Float32Array) => view.subarray(begin, end);
  t.kernel.update({
    weights: owned(weights),
    firstMoments: owned(firstMoments),
    secondMoments: owned(secondMoments),
    gradients,
  }, t.adam);
  Object.assign(t.adam, nextAccumulators(t.adam));
  t.adam.iterations++;
  clock.lap("adam");
  t.exchange.weightsWritten();
  tf.tidy(() => {
    let at = 0;
    for (const variable of t.variables) {
      // A new tensor, not a write into the old one's memory: the wasm backend caches packed
      // weights of matrix products and convolutions by tensor. It copies the values into its
      // heap as it makes the tensor (backend_wasm's move), so a view of the exchange will do.
      variable.assign(tf.tensor(weights.subarray(at, at += variable.size), variable.shape));
    }
  });
  clock.lap("load");
  return { type: "stepped", loss, timing: clock.times };
}

/** The model's weights and Adam's state as single-thread training keeps them (adam_state.ts). */
function state(): WorkerReply {
  const t = trainer!;
  const { firstMoments, secondMoments } = t.exchange;
  const moments = (source: Float32Array) => {
    let at = 0;
    return t.variables.map((v) => ({ shape: v.shape, values: source.slice(at, at += v.size) }));
  };
  const adam: AdamState = {
    iterations: t.adam.iterations,
    accBeta1: t.adam.accBeta1,
    accBeta2: t.adam.accBeta2,
    moments: [...moments(firstMoments), ...moments(secondMoments)],
  };
  return { type: "state", weights: readWeights(t.model), adam };
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
        ? await step(data)
        : state();
      scope.postMessage(reply);
    } catch (error) {
      scope.postMessage({ type: "failed", message: String((error as Error)?.stack ?? error) });
    }
  });
};
