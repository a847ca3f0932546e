/**
 * Knowledge distillation: a trained model (the teacher, an ONNX file) reads each augmented
 * batch, and the model in training learns its softened probabilities beside the labels
 * (Hinton, Vinyals and Dean, 2015). A small model taught by a larger one comes closer to its
 * accuracy at its own inference cost: the point for `draw`, whose number path must stay cheap.
 *
 * The loss is `(1 - weight) * CE(labels, z) + weight * T^2 * CE(softmax(teacher / T), z / T)`,
 * T the temperature; T^2 keeps the soft term's gradients on the scale of the hard term's.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { createSession, type InferenceSession, runLogits } from "../inference/onnx_runtime.ts";
import { basename } from "node:path";
import type { TeacherRecord } from "../lib/model_metadata.ts";
import { softmaxCrossEntropy } from "./fused_loss.ts";
import { sha256Hex } from "./mnist_files.ts";

const CLASSES = 10;

/** --teacher's value for none, where a model has a teacher by default. */
export const NO_TEACHER = "none";
/** --teacher-weight's default: the labels and the teacher count alike. */
export const DEFAULT_TEACHER_WEIGHT = 0.5;
/** --teacher-temperature's default (a usual choice; Hinton et al. tried 1 to 20). */
export const DEFAULT_TEMPERATURE = 4;

/** How a teacher takes part in training (a recipe field: it decides the weights). */
export interface Distillation {
  /** The teacher's ONNX file (float or int8, input NCHW [N,1,28,28] normalised as the student's). */
  teacher: string;
  /** Share of the loss that is the teacher's (0 to 1). */
  weight: number;
  /** Softening of both models' logits in the soft term (> 0). */
  temperature: number;
}

/** How a model's metadata names its teacher: the file, its checksum and the loss's terms. */
export async function teacherRecord(
  distillation: Distillation | null,
): Promise<TeacherRecord | null> {
  if (distillation === null) return null;
  const { teacher, weight, temperature } = distillation;
  const sha256 = await sha256Hex(await Deno.readFile(teacher));
  return { file: basename(teacher), sha256, weight, temperature };
}

/** A teacher ready to read batches. */
export class Teacher {
  readonly #session: InferenceSession;
  readonly #temperature: number;

  private constructor(session: InferenceSession, temperature: number) {
    this.#session = session;
    this.#temperature = temperature;
  }

  /** Opens `distillation.teacher` in onnxruntime-web (one thread). */
  static async open(distillation: Distillation): Promise<Teacher> {
    const session = await createSession(await Deno.readFile(distillation.teacher));
    return new Teacher(session, distillation.temperature);
  }

  /**
   * The teacher's softened probabilities for `size` normalised images (NHWC with one channel
   * is NCHW's layout too), [size, 10] row-major.
   */
  async targets(images: Float32Array, size: number): Promise<Float32Array> {
    const logits = await runLogits(this.#session, images.subarray(0, size * 28 * 28), size);
    return softenedRows(logits, this.#temperature);
  }

  async close(): Promise<void> {
    await this.#session.release();
  }
}

/** softmax(logits / temperature) of each row of [rows, 10]. */
export function softenedRows(logits: Float32Array, temperature: number): Float32Array {
  const rows = new Float32Array(logits.length);
  for (let at = 0; at < logits.length; at += CLASSES) {
    let max = -Infinity;
    for (let c = 0; c < CLASSES; c++) max = Math.max(max, logits[at + c]);
    let sum = 0;
    for (let c = 0; c < CLASSES; c++) {
      sum += rows[at + c] = Math.exp((logits[at + c] - max) / temperature);
    }
    for (let c = 0; c < CLASSES; c++) rows[at + c] /= sum;
  }
  return rows;
}

/**
 * The batch's loss: the labels' cross-entropy alone without a teacher's `soft` rows, else the
 * distillation loss above; `scale` as softmaxCrossEntropy's (a worker's share of the batch).
 */
export function trainingLoss(
  hard: Float32Array,
  soft: Float32Array | null,
  logits: tf.Tensor2D,
  scale: number,
  distillation: Distillation | null,
): tf.Scalar {
  if (soft === null || distillation === null) return softmaxCrossEntropy(hard, logits, scale);
  const { weight, temperature } = distillation;
  return tf.add(
    softmaxCrossEntropy(hard, logits, scale * (1 - weight)),
    softmaxCrossEntropy(
      soft,
      tf.div(logits, temperature),
      scale * weight * temperature * temperature,
    ),
  );
}
