/**
 * Data-parallel training on several cores: each Worker (train_worker.ts) holds a copy of the
 * model and takes a contiguous slice of every mini-batch; the workers add their gradients in
 * shared WebAssembly.Memory and each takes the same Adam step. BatchNorm sums its statistics over
 * the whole batch and Dropout takes the whole batch's mask rows (batch_shard.ts), so a step
 * computes what one thread would on the whole batch, up to float rounding.
 *
 * @module
 */
import type { Distillation } from "./distillation.ts";
import type * as tf from "@tensorflow/tfjs";
import type { ModelName, Normalisation } from "../lib/model_metadata.ts";
import type { AdamState } from "./adam_state.ts";
import { applyWeights, readWeights } from "./checkpoint.ts";
import type { DigitSet } from "./mnist_idx.ts";
import { type ExchangeLayout, exchangeMemory } from "./shard_exchange.ts";
import { type PhaseTimes, TimingTotal } from "./step_timing.ts";
import type { StepImages, WorkerReply, WorkerRequest } from "./train_worker.ts";

const PIXELS = 784;
/**
 * Deno's Worker, taken before anything runs: onnxruntime-web (scoring, export) replaces
 * `globalThis.Worker` with node:worker_threads' (whose workers have no `self`).
 */
const WebWorker = globalThis.Worker;
/** Room for the widest BatchNorm's sums: two per channel and the row count. */
const STATISTICS = 2 * 1024 + 1;

/** The slices of a batch of `size` over `workers`: the first `size % workers` get one more. */
export function sliceSizes(size: number, workers: number): number[] {
  const base = Math.floor(size / workers), extra = size % workers;
  return Array.from({ length: workers }, (_, rank) => base + (rank < extra ? 1 : 0));
}

/** A model's layers and their settings as JSON, without the names tfjs numbers per thread. */
export function modelConfig(model: tf.LayersModel): string {
  return JSON.stringify(
    model.toJSON(null, false),
    (key, value) => key === "name" ? undefined : value,
  );
}

/** A worker and the replies it owes, in order. */
class TrainWorker {
  readonly #worker: Worker;
  readonly #waiting: { resolve: (reply: WorkerReply) => void; reject: (e: Error) => void }[] = [];
  #failure: Error | undefined;

  constructor(readonly rank: number) {
    this.#worker = new WebWorker(new URL("./train_worker.ts", import.meta.url), { type: "module" });
    this.#worker.onmessage = ({ data }: MessageEvent<WorkerReply>) => {
      const waiter = this.#waiting.shift();
      if (data.type === "failed") this.#fail(new Error(`training worker ${rank}: ${data.message}`));
      waiter?.[data.type === "failed" ? "reject" : "resolve"](
        (data.type === "failed" ? this.#failure : data) as never,
      );
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#fail(new Error(`training worker ${rank} stopped: ${event.message}`));
    };
  }

  #fail(error: Error): void {
    this.#failure ??= error;
    for (const waiter of this.#waiting.splice(0)) waiter.reject(this.#failure);
  }

  request(message: WorkerRequest, transfer: Transferable[] = []): Promise<WorkerReply> {
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise((resolve, reject) => {
      this.#waiting.push({ resolve, reject });
      this.#worker.postMessage(message, transfer);
    });
  }

  terminate(): void {
    this.#worker.terminate();
    this.#fail(new Error(`training worker ${this.rank} was stopped`));
  }
}

export interface WorkerPoolOptions {
  /** The architecture (architectures.ts) the workers build, and the seed `model` was built with. */
  name: ModelName;
  seed: number;
  /** Its filters' scale (architectures.ts widthFor; default 1). */
  width?: number;
  workers: number;
  /** Starting weights and optimizer state (a checkpoint's, when resuming). */
  model: tf.LayersModel;
  adam: AdamState | null;
  learningRate: number;
  /**
   * false steps in inference mode (fine-tuning: BatchNorm keeps its moving statistics, no
   * Dropout); default true.
   */
  training?: boolean;
  /** For stepPixels: augment each image (the architecture's augmenter), and how to normalise. */
  augment?: boolean;
  normalisation?: Normalisation;
  /** A teacher each worker runs on its slice (distillation.ts). */
  distillation?: Distillation | null;
}

/** A batch by its images' bytes: whoever steps on it normalises and augments the images. */
export interface PixelBatch {
  set: DigitSet;
  /** The images of `set` in the batch. */
  indices: Uint32Array;
  /** Each image's augmentation seed (batch_fill.ts); null without augmentation. */
  seeds: Uint32Array | null;
  /** Steps taken before this one in the run: Dropout's masks follow it (batch_dropout.ts). */
  step: number;
}

/** Workers training one model together; close() when done. */
export class TrainWorkerPool {
  readonly #timings: TimingTotal[];

  private constructor(readonly workers: TrainWorker[]) {
    this.#timings = workers.map(() => new TimingTotal());
  }

  /** Starts `options.workers` workers, each with the model's current weights. */
  static async start(options: WorkerPoolOptions): Promise<TrainWorkerPool> {
    const gradients = options.model.trainableWeights.reduce(
      (n, w) => n + w.shape.reduce((a: number, b) => a * (b ?? 1), 1),
      0,
    );
    const layout: ExchangeLayout = {
      workers: options.workers,
      statistics: STATISTICS,
      gradients,
    };
    const memory = exchangeMemory(layout);
    const weights = readWeights(options.model);
    const pool = new TrainWorkerPool(
      Array.from({ length: options.workers }, (_, rank) => new TrainWorker(rank)),
    );
    try {
      const replies = await Promise.all(pool.workers.map((worker) =>
        worker.request({
          type: "init",
          name: options.name,
          seed: options.seed,
          width: options.width ?? 1,
          config: modelConfig(options.model),
          rank: worker.rank,
          memory,
          layout,
          weights,
          adam: options.adam,
          learningRate: options.learningRate,
          training: options.training ?? true,
          augment: options.augment ?? false,
          normalisation: options.normalisation ?? null,
          distillation: options.distillation ?? null,
        })
      ));
      for (const reply of replies) {
        if (reply.type === "ready" && reply.backend !== "wasm") {
          throw new Error(`a training worker runs tfjs on ${reply.backend}, not wasm`);
        }
      }
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  /**
   * One Adam step on `size` images of `images` (NHWC, normalised) and `labels`; returns the
   * batch's mean loss. Both arrays are copied before it returns, so they may be refilled.
   */
  step(
    images: Float32Array,
    labels: Int32Array,
    size: number,
    learningRate: number,
  ): Promise<number> {
    return this.#step(size, learningRate, 0, (begin, end) => ({
      images: { normalised: images.slice(begin * PIXELS, end * PIXELS) },
      labels: labels.slice(begin, end),
    }));
  }

  /**
   * One Adam step on a batch of `batch.set`'s images, which each worker normalises and
   * augments for its slice (in parallel, instead of this thread doing all of it); returns the
   * batch's mean loss. Reads the batch before it returns.
   */
  stepPixels(batch: PixelBatch, learningRate: number): Promise<number> {
    const { set, indices, seeds } = batch;
    return this.#step(indices.length, learningRate, batch.step, (begin, end) => {
      const pixels = new Uint8Array((end - begin) * PIXELS);
      const labels = new Int32Array(end - begin);
      for (let n = begin; n < end; n++) {
        const at = indices[n] * PIXELS;
        pixels.set(set.images.subarray(at, at + PIXELS), (n - begin) * PIXELS);
        labels[n - begin] = set.labels[indices[n]];
      }
      return { images: { pixels, seeds: seeds?.slice(begin, end) ?? null }, labels };
    });
  }

  /** Sends each worker its slice (`slice(begin, end)`, transferred) and sums their losses. */
  async #step(
    size: number,
    learningRate: number,
    step: number,
    slice: (begin: number, end: number) => { images: StepImages; labels: Int32Array },
  ): Promise<number> {
    const sizes = sliceSizes(size, this.workers.length);
    const participants = sizes.filter((n) => n > 0).length;
    let offset = 0;
    const replies = this.workers.map((worker, rank) => {
      const begin = offset;
      offset += sizes[rank];
      const { images, labels } = slice(begin, offset);
      const transfer = [labels.buffer, ...Object.values(images).map((a) => a?.buffer)]
        .filter((b): b is ArrayBuffer => b instanceof ArrayBuffer);
      return worker.request({
        type: "step",
        images,
        labels,
        offset: begin,
        total: size,
        participants,
        learningRate,
        step,
      }, transfer);
    });
    let loss = 0;
    for (const [rank, reply] of (await Promise.all(replies)).entries()) {
      if (reply.type !== "stepped") continue;
      loss += reply.loss;
      this.#timings[rank].add(reply.timing);
    }
    return loss;
  }

  /** Each worker's mean step since the last call, by phase; starts the next count. */
  timings(): PhaseTimes[] {
    const means = this.#timings.map((total) => total.mean());
    this.#timings.forEach((_, rank) => this.#timings[rank] = new TimingTotal());
    return means;
  }

  /** Copies the trained weights into `model` and returns the optimizer's state. */
  async syncTo(model: tf.LayersModel): Promise<AdamState> {
    const reply = await this.workers[0].request({ type: "state" });
    if (reply.type !== "state") throw new Error(`worker 0 answered ${reply.type}`);
    applyWeights(model, reply.weights);
    return reply.adam;
  }

  close(): void {
    for (const worker of this.workers) worker.terminate();
  }
}
