/**
 * Where predictions run: the dynamic batcher in front of either the main thread (`workers: 0`,
 * optionally with onnxruntime's own threads) or a pool of inference workers. Routes submit jobs
 * here and never touch sessions themselves.
 *
 * @module
 */
import { type Job, type JobResult, runJobs } from "./batch_jobs.ts";
import { Batcher, type BatchExecutor, type BatchListener } from "./batcher.ts";
import type { LoadedModel } from "./model_registry.ts";
import { WorkerPool } from "./worker_pool.ts";

export interface EngineOptions {
  /** Inference workers; 0 runs everything on the main thread. */
  workers: number;
  /** onnxruntime WASM threads per session (per worker, or on the main thread). */
  ortThreads: number;
  /**
   * Where images are decoded and preprocessed: in the inference workers beside the model, or
   * on the HTTP thread, which then hands the workers ready tensors (a pipeline: the HTTP
   * thread prepares the next images while a worker runs the model). No effect without workers.
   */
  preprocessIn: "workers" | "main";
  /** Most digits per batch. */
  maxBatch: number;
  /** How long a batch may wait for company when an executor is free (0 = never). */
  maxWaitMs: number;
}

/** Serving defaults, measured on a 2-core machine: see docs/performance.md. */
export const DEFAULT_ENGINE: EngineOptions = {
  workers: 1,
  ortThreads: 1,
  preprocessIn: "main",
  maxBatch: 16,
  maxWaitMs: 0,
};

/** Runs batches on the main thread, one at a time. */
const mainThread: BatchExecutor<LoadedModel> = {
  slots: 1,
  blocksEventLoop: true,
  run(model, jobs) {
    if (!model.session) throw new Error(`model ${model.metadata.name} has no session`);
    return runJobs(model.session, model.metadata.input.normalisation, jobs);
  },
};

/**
 * @example
 * ```ts
 * import type { ModelRegistry } from "./model_registry.ts";
 *
 * declare const registry: ModelRegistry;
 * declare const bytes: Uint8Array; // a PNG or JPEG
 * const engine = await InferenceEngine.start({ ...DEFAULT_ENGINE, workers: 0 });
 * const result = await engine.submit(registry.get(), { kind: "image", bytes });
 * ```
 */
export class InferenceEngine {
  readonly options: EngineOptions;
  readonly #pool: WorkerPool | null;
  readonly #batcher: Batcher<LoadedModel>;

  private constructor(options: EngineOptions, pool: WorkerPool | null) {
    this.options = options;
    this.#pool = pool;
    this.#batcher = new Batcher(pool ?? mainThread, options);
  }

  /** Starts the workers (each compiles onnxruntime: a few hundred ms, in parallel). */
  static async start(options: EngineOptions): Promise<InferenceEngine> {
    const pool = options.workers > 0
      ? await WorkerPool.start({
        workers: options.workers,
        ortThreads: options.ortThreads,
        decodesImages: options.preprocessIn === "workers",
      })
      : null;
    return new InferenceEngine(options, pool);
  }

  /** An engine on the main thread with no waiting: for tests and tools. */
  static inProcess(): InferenceEngine {
    return new InferenceEngine({ ...DEFAULT_ENGINE, workers: 0 }, null);
  }

  /** Whether models need a main-thread session (only when there are no workers). */
  get needsMainSession(): boolean {
    return this.#pool === null;
  }

  /** Tells `listener` about every batch run from now on (replacing any earlier one). */
  observeBatches(listener: BatchListener): void {
    this.#batcher.onBatch = listener;
  }

  /** Jobs waiting for a free executor. */
  get queued(): number {
    return this.#batcher.queued;
  }

  /** Makes `model` runnable (loads and checks it in every worker); throws if it fails there. */
  async prepare(model: LoadedModel): Promise<void> {
    await this.#pool?.load(model);
  }

  /** Queues one job for `model`. Submit right after `registry.get`, with no await between. */
  submit(model: LoadedModel, job: Job): Promise<JobResult> {
    return this.#batcher.submit(model, job);
  }

  /** Frees `model` everywhere once its last queued or running job is done. */
  async retire(model: LoadedModel): Promise<void> {
    await this.#batcher.unused(model);
    await this.#pool?.unload(model);
    await model.session?.release();
  }

  close(): void {
    this.#pool?.close();
  }
}
