/**
 * Data-parallel training on several cores: each Worker (train_worker.ts) holds a copy of the
 * model and takes a contiguous slice of every mini-batch; the workers add their gradients in
 * a SharedArrayBuffer and each takes the same Adam step. BatchNorm sums its statistics over
 * the whole batch and Dropout takes the whole batch's mask rows (batch_shard.ts), so a step
 * computes what one thread would on the whole batch, up to float rounding.
 *
 * @module
 */
import type * as tf from "@tensorflow/tfjs";
import type { ModelName } from "../lib/model_metadata.ts";
import type { AdamState } from "./adam_state.ts";
import { applyWeights, readWeights } from "./checkpoint.ts";
import { exchangeBuffer, type ExchangeLayout } from "./shard_exchange.ts";
import type { WorkerReply, WorkerRequest } from "./train_worker.ts";

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
}

/** Workers training one model together; close() when done. */
export class TrainWorkerPool {
  private constructor(readonly workers: TrainWorker[]) {}

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
    const buffer = exchangeBuffer(layout);
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
          config: modelConfig(options.model),
          rank: worker.rank,
          buffer,
          layout,
          weights,
          adam: options.adam,
          learningRate: options.learningRate,
          training: options.training ?? true,
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
  async step(
    images: Float32Array,
    labels: Int32Array,
    size: number,
    learningRate: number,
  ): Promise<number> {
    const sizes = sliceSizes(size, this.workers.length);
    const participants = sizes.filter((n) => n > 0).length;
    let offset = 0;
    const replies = this.workers.map((worker, rank) => {
      const begin = offset;
      offset += sizes[rank];
      const slice = images.slice(begin * PIXELS, offset * PIXELS);
      const sliceLabels = labels.slice(begin, offset);
      return worker.request({
        type: "step",
        images: slice,
        labels: sliceLabels,
        offset: begin,
        total: size,
        participants,
        learningRate,
      }, [slice.buffer, sliceLabels.buffer]);
    });
    let loss = 0;
    for (const reply of await Promise.all(replies)) {
      if (reply.type === "stepped") loss += reply.loss;
    }
    return loss;
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
