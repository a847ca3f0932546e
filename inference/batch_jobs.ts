/**
 * Running several requests as one onnxruntime batch: each job (image bytes, or a ready tensor
 * from the v2 protocol) is turned into normalised 28x28 rows, all rows run in one session call,
 * and each job gets its own slice of the outputs back. A job the client got wrong (a corrupt
 * image, no ink) fails alone; the rest of the batch still runs.
 *
 * Used the same way in the main thread and in inference workers: plain data in and out, so the
 * jobs and results cross `postMessage` as they are.
 *
 * @module
 */
import { DigitlabError, type ErrorCode } from "../lib/errors.ts";
import type { Normalisation } from "../lib/model_metadata.ts";
import { mnistField, normalise } from "../lib/preprocess.ts";
import { decodeImage } from "./image_decode.ts";
import { CLASS_COUNT, DIGIT_PIXELS, type InferenceSession, runBatch } from "./onnx_runtime.ts";

/** An image to decode and preprocess, or `count` digits already normalised (NCHW rows). */
export type Job =
  | { kind: "image"; bytes: Uint8Array; maxSide?: number }
  | { kind: "tensor"; input: Float32Array; count: number };

/** What one job got back. Times are this job's own, except `inferenceMs` (the whole batch). */
export interface JobOutput {
  /** [count, 10] row-major. */
  logits: Float32Array;
  probabilities: Float32Array;
  /** Image jobs: the 28x28 field the model saw, 0..1, before normalisation. */
  field?: Float32Array;
  decodeMs: number;
  preprocessMs: number;
  inferenceMs: number;
  /**
   * How long the job waited in the batcher's queue for a free executor (dynamic batching);
   * set by the Batcher, 0 when the job ran without one.
   */
  queueMs: number;
  /** Digits in the batch this job ran in. */
  batchSize: number;
}

export type JobResult =
  | { ok: true; output: JobOutput }
  | { ok: false; code: ErrorCode; message: string };

/** Rows a job adds to a batch. */
export function jobRows(job: Job): number {
  return job.kind === "image" ? 1 : job.count;
}

/** A failed job as the error the route throws. */
export function jobError(result: { code: ErrorCode; message: string }): DigitlabError {
  return new DigitlabError(result.code, result.message);
}

interface Prepared {
  rows: Float32Array;
  count: number;
  field?: Float32Array;
  decodeMs: number;
  preprocessMs: number;
}

/** Runs `jobs` on `session` as one batch; never throws for a job's own fault. */
export async function runJobs(
  session: InferenceSession,
  normalisation: Normalisation,
  jobs: Job[],
): Promise<JobResult[]> {
  const prepared: (Prepared | JobResult)[] = [];
  for (const job of jobs) prepared.push(await prepare(job, normalisation));
  const ready = prepared.filter((p): p is Prepared => "rows" in p);
  const batchSize = ready.reduce((sum, p) => sum + p.count, 0);
  if (batchSize === 0) return prepared as JobResult[];

  const input = ready.length === 1 ? ready[0].rows : new Float32Array(batchSize * DIGIT_PIXELS);
  if (ready.length > 1) {
    let offset = 0;
    for (const p of ready) {
      input.set(p.rows, offset);
      offset += p.rows.length;
    }
  }
  const started = performance.now();
  const { logits, probabilities } = await runBatch(session, input, batchSize);
  const inferenceMs = performance.now() - started;

  let row = 0;
  return prepared.map((p) => {
    if (!("rows" in p)) return p;
    const from = row * CLASS_COUNT;
    const to = (row + p.count) * CLASS_COUNT;
    row += p.count;
    return {
      ok: true,
      output: {
        logits: logits.slice(from, to),
        probabilities: probabilities.slice(from, to),
        field: p.field,
        decodeMs: p.decodeMs,
        preprocessMs: p.preprocessMs,
        inferenceMs,
        queueMs: 0,
        batchSize,
      },
    };
  });
}

async function prepare(job: Job, normalisation: Normalisation): Promise<Prepared | JobResult> {
  if (job.kind === "tensor") {
    return { rows: job.input, count: job.count, decodeMs: 0, preprocessMs: 0 };
  }
  try {
    const started = performance.now();
    const { image } = await decodeImage(job.bytes, job.maxSide);
    const decoded = performance.now();
    const field = mnistField(image);
    const rows = normalise(field, normalisation);
    return {
      rows,
      count: 1,
      field,
      decodeMs: decoded - started,
      preprocessMs: performance.now() - decoded,
    };
  } catch (error) {
    if (error instanceof DigitlabError) {
      return { ok: false, code: error.code, message: error.message };
    }
    throw error;
  }
}
