/**
 * An inference worker: decodes, preprocesses and runs batches for the main thread's
 * WorkerPool, so decoding and inference use every core while the main thread serves HTTP.
 * Messages are handled strictly in order (a model is loaded before its first batch runs).
 *
 * @module
 */
/// <reference lib="deno.worker" />
import type { Normalisation } from "../lib/model_metadata.ts";
import { runJobs } from "./batch_jobs.ts";
import { initImageDecoders } from "./image_decode.ts";
import {
  createSession,
  DIGIT_PIXELS,
  type InferenceSession,
  initOnnxRuntime,
  runBatch,
} from "./onnx_runtime.ts";
import { warmUpPreprocessing } from "./warm_up.ts";
import type { WorkerReply, WorkerRequest } from "./worker_protocol.ts";

const sessions = new Map<number, { session: InferenceSession; normalisation: Normalisation }>();

async function handle(request: WorkerRequest): Promise<WorkerReply> {
  switch (request.type) {
    case "init":
      await initOnnxRuntime({ numThreads: request.ortThreads, module: request.module });
      if (request.decodesImages) {
        await initImageDecoders();
        warmUpPreprocessing();
      }
      return { id: request.id, ok: true };
    case "load": {
      const session = await createSession(request.bytes);
      // The same check the main thread made: the graph runs and has ten outputs.
      const { probabilities } = await runBatch(session, new Float32Array(DIGIT_PIXELS), 1);
      if (probabilities.length !== 10) {
        await session.release();
        throw new Error(`outputs ${probabilities.length} probabilities, expected 10`);
      }
      sessions.set(request.key, { session, normalisation: request.normalisation });
      return { id: request.id, ok: true };
    }
    case "unload":
      await sessions.get(request.key)?.session.release();
      sessions.delete(request.key);
      return { id: request.id, ok: true };
    case "crash":
      setTimeout(() => {
        throw new Error("crashed on request (test)");
      });
      return { id: request.id, ok: true };
    case "run": {
      const model = sessions.get(request.key);
      if (!model) throw new Error(`model ${request.key} is not loaded in this worker`);
      const results = await runJobs(model.session, model.normalisation, request.jobs);
      return { id: request.id, ok: true, results };
    }
  }
}

let queue = Promise.resolve();
self.onmessage = (event: MessageEvent<WorkerRequest>) => {
  const request = event.data;
  queue = queue.then(() => handle(request)).then(
    (reply) => self.postMessage(reply),
    (error) => self.postMessage({ id: request.id, ok: false, message: String(error?.message) }),
  );
};
