/**
 * A pool of inference workers (inference_worker.ts), each with its own onnxruntime instance and
 * image decoders: a BatchExecutor whose batches run beside the main thread, one per worker.
 *
 * @module
 */
import type { Job, JobResult } from "./batch_jobs.ts";
import type { BatchExecutor } from "./batcher.ts";
import type { Normalisation } from "../lib/model_metadata.ts";
import type { LoadedModel } from "./model_registry.ts";
import { compileOnnxRuntime } from "./onnx_runtime.ts";
import type { WorkerReply, WorkerRequest } from "./worker_protocol.ts";

/**
 * Deno's Web Worker, kept before onnxruntime starts: its emscripten glue replaces
 * `globalThis.Worker` with node:worker_threads' (whose workers have no `self`) when it runs on
 * the main thread.
 */
const WebWorker = globalThis.Worker;

interface Call {
  resolve(reply: WorkerReply & { ok: true }): void;
  reject(error: Error): void;
}

/**
 * Batches a worker holds at once: the one it runs and the next, already in its mailbox, so it
 * never idles while the HTTP thread gets round to sending more (+5% throughput on 28x28 PNGs at
 * 32 connections: 2,567 vs 2,434 req/s, two runs each, docs/performance.md).
 */
const BATCHES_PER_WORKER = 2;

class PoolWorker {
  readonly #worker: Worker;
  readonly #calls = new Map<number, Call>();
  #nextId = 1;
  /** Batches sent and not yet answered. */
  inFlight = 0;
  /** Settles once the worker has started and loaded every model. */
  ready: Promise<void> = Promise.resolve();

  constructor(onCrash: (error: Error) => void) {
    this.#worker = new WebWorker(new URL("./inference_worker.ts", import.meta.url), {
      type: "module",
    });
    this.#worker.onmessage = (event: MessageEvent<WorkerReply>) => {
      const reply = event.data;
      const call = this.#calls.get(reply.id);
      this.#calls.delete(reply.id);
      if (reply.ok) call?.resolve(reply);
      else call?.reject(new Error(reply.message));
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      const error = new Error(`inference worker failed: ${event.message}`);
      for (const call of this.#calls.values()) call.reject(error);
      this.#calls.clear();
      onCrash(error);
    };
  }

  call(request: DistributiveOmit<WorkerRequest, "id">): Promise<WorkerReply & { ok: true }> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      this.#calls.set(id, { resolve, reject });
      this.#worker.postMessage({ ...request, id });
    });
  }

  terminate(): void {
    this.#worker.terminate();
    for (const call of this.#calls.values()) call.reject(new Error("inference worker stopped"));
    this.#calls.clear();
  }
}

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;

export interface WorkerPoolOptions {
  workers: number;
  /** onnxruntime threads inside each worker. */
  ortThreads: number;
  /**
   * Whether batches will carry images to decode (`--preprocess-in workers`). Only then does a
   * worker set up and warm up its decoders at start; otherwise it gets tensors, and a stray
   * image would still be decoded (the decoders start on first use).
   */
  decodesImages?: boolean;
  /** Told when a worker dies (its batch fails; a fresh worker takes its place). */
  onCrash?(error: Error): void;
}

/**
 * Inference workers sharing the load. Models are loaded into every worker (`load`) before
 * their first batch, and released (`unload`) once retired. A worker that dies is replaced by a
 * fresh one with the same models; only the batch it was running fails.
 *
 * @example
 * ```ts
 * import type { LoadedModel } from "./model_registry.ts";
 *
 * declare const model: LoadedModel;
 * declare const bytes: Uint8Array; // a PNG or JPEG
 * const pool = await WorkerPool.start({ workers: 2, ortThreads: 1 });
 * await pool.load(model);
 * const [result] = await pool.run(model, [{ kind: "image", bytes }]);
 * ```
 */
export class WorkerPool implements BatchExecutor<LoadedModel> {
  readonly #workers: PoolWorker[] = [];
  readonly #keys = new WeakMap<LoadedModel, number>();
  /** What every worker must hold, so a replacement can load the same. */
  readonly #loaded = new Map<number, { bytes: Uint8Array; normalisation: Normalisation }>();
  readonly #module: WebAssembly.Module;
  readonly #options: WorkerPoolOptions;
  #nextKey = 1;
  #closed = false;

  private constructor(module: WebAssembly.Module, options: WorkerPoolOptions) {
    this.#module = module;
    this.#options = options;
    for (let i = 0; i < options.workers; i++) this.#workers.push(this.#spawn());
  }

  static async start(options: WorkerPoolOptions): Promise<WorkerPool> {
    // Compiled once here and shared: V8 keeps one copy of the machine code for all workers.
    const pool = new WorkerPool(await compileOnnxRuntime(), options);
    try {
      await Promise.all(pool.#workers.map((worker) => worker.ready));
    } catch (error) {
      pool.close();
      throw error;
    }
    return pool;
  }

  #spawn(): PoolWorker {
    const worker: PoolWorker = new PoolWorker((error) => this.#crashed(worker, error));
    const { ortThreads, decodesImages = false } = this.#options;
    worker.ready = (async () => {
      await worker.call({ type: "init", ortThreads, decodesImages, module: this.#module });
      for (const [key, model] of this.#loaded) await worker.call({ type: "load", key, ...model });
    })();
    return worker;
  }

  #crashed(worker: PoolWorker, error: Error): void {
    (this.#options.onCrash ?? ((e) => console.error(`digitlab: ${e.message}`)))(error);
    const index = this.#workers.indexOf(worker);
    if (this.#closed || index < 0) return;
    worker.terminate();
    const fresh = this.#spawn();
    this.#workers[index] = fresh;
    fresh.ready.catch((cause) =>
      console.error(`digitlab: a replacement inference worker failed: ${cause.message}`)
    );
  }

  get slots(): number {
    return this.#workers.length * BATCHES_PER_WORKER;
  }

  /** Opens `model` in every worker and checks it there; throws when any worker refuses it. */
  async load(model: LoadedModel): Promise<void> {
    if (this.#keys.has(model)) return;
    const key = this.#nextKey++;
    const entry = { bytes: model.bytes, normalisation: model.metadata.input.normalisation };
    const loads = this.#workers.map(async (worker) => {
      await worker.ready;
      await worker.call({ type: "load", key, ...entry });
    });
    const outcomes = await Promise.allSettled(loads);
    const failed = outcomes.find((o): o is PromiseRejectedResult => o.status === "rejected");
    if (failed) {
      for (const worker of this.#workers) worker.call({ type: "unload", key }).catch(() => {});
      throw failed.reason;
    }
    this.#loaded.set(key, entry);
    this.#keys.set(model, key);
  }

  /** Releases `model` in every worker; call once no batch for it is queued or running. */
  async unload(model: LoadedModel): Promise<void> {
    const key = this.#keys.get(model);
    if (key === undefined) return;
    this.#keys.delete(model);
    this.#loaded.delete(key);
    await Promise.all(this.#workers.map((worker) => worker.call({ type: "unload", key })));
  }

  async run(model: LoadedModel, jobs: Job[]): Promise<JobResult[]> {
    const key = this.#keys.get(model);
    if (key === undefined) throw new Error(`model ${model.metadata.name} is not loaded`);
    // The least loaded worker: an idle one before one that is already running a batch.
    const worker = this.#workers.reduce((best, w) => w.inFlight < best.inFlight ? w : best);
    if (worker.inFlight >= BATCHES_PER_WORKER) {
      throw new Error("no free inference worker: the batcher overbooked the pool");
    }
    worker.inFlight++;
    try {
      await worker.ready;
      const reply = await worker.call({ type: "run", key, jobs });
      return reply.results ?? [];
    } finally {
      worker.inFlight--;
    }
  }

  /** For tests: makes worker `index` die as an uncaught error would. */
  crashForTest(index: number): void {
    this.#workers[index].call({ type: "crash" }).catch(() => {});
  }

  close(): void {
    this.#closed = true;
    for (const worker of this.#workers) worker.terminate();
  }
}
