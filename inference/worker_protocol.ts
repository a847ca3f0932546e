/**
 * Messages between the main thread and inference workers (inference_worker.ts). Every request
 * carries an id; the worker answers each with the same id, in order.
 *
 * @module
 */
import type { Job, JobResult } from "./batch_jobs.ts";
import type { Normalisation } from "../lib/model_metadata.ts";

export type WorkerRequest =
  | {
    type: "init";
    id: number;
    ortThreads: number;
    decodesImages: boolean;
    module: WebAssembly.Module;
  }
  | { type: "load"; id: number; key: number; bytes: Uint8Array; normalisation: Normalisation }
  | { type: "unload"; id: number; key: number }
  | { type: "run"; id: number; key: number; jobs: Job[] }
  /** Tests only: die of an uncaught error, as a runtime fault would. */
  | { type: "crash"; id: number };

export type WorkerReply =
  | { id: number; ok: true; results?: JobResult[] }
  | { id: number; ok: false; message: string };
