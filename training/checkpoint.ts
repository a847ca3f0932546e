/**
 * A model's checkpoint after every epoch, in its run folder (`<run>/checkpoints/<name>/`):
 * weights, Adam's state, the shuffle order and random states, and the run's own recipe, so
 * `--resume` continues bit for bit and an export never depends on today's flags.
 *
 * The sums of weight averaging (weight_average.ts), when the run has begun it, follow the order.
 *
 * `state.json` names the tensor file it belongs to (`epoch-<n>.bin`, written first): a crash
 * between the two writes leaves the previous epoch's pair intact.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { EpochRecord } from "../lib/model_metadata.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import type { AdamState } from "./adam_state.ts";
import type { LoopState } from "./train_loop.ts";
import type { TrainRecipe } from "./train_options.ts";

/** What the training run knew that the weights alone don't say. */
export interface RunRecord {
  name: string;
  history: EpochRecord[];
  trainingSeconds: number;
  trainCount: number;
  backend: string;
  /** The run's own hyper-parameters, `epochs` resolved for this model. */
  recipe: TrainRecipe & { epochs: number };
}

export interface Checkpoint {
  run: RunRecord;
  loop: LoopState;
  optimizer: AdamState;
  /** model.getWeights() order. */
  weights: { shape: number[]; values: Float32Array }[];
}

interface StateFile {
  tensors: string;
  run: RunRecord;
  loop: Omit<LoopState, "order" | "history" | "average"> & {
    orderLength: number;
    /** Epochs in the averaged sums after the order (absent in checkpoints from before). */
    averagedEpochs?: number;
  };
  optimizer: Omit<AdamState, "moments"> & { momentShapes: number[][] };
  weightShapes: number[][];
}

const STATE = "state.json";
const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);

/** Copies a model's weights out (trainable and not, e.g. BatchNorm's moving statistics). */
export function readWeights(model: tf.LayersModel): Checkpoint["weights"] {
  return model.getWeights().map((w) => ({
    shape: w.shape,
    values: Float32Array.from(w.dataSync() as Float32Array),
  }));
}

/** Puts weights from readWeights back into a model of the same architecture. */
export function applyWeights(model: tf.LayersModel, weights: Checkpoint["weights"]): void {
  const tensors = weights.map((w) => tf.tensor(w.values, w.shape));
  model.setWeights(tensors);
  tf.dispose(tensors);
}

/** Writes the checkpoint into `dir` (created if missing), replacing the previous epoch's. */
export async function saveCheckpoint(dir: string, checkpoint: Checkpoint): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  const { run, loop, optimizer, weights } = checkpoint;
  const arrays = [
    ...[...weights, ...optimizer.moments].map((t) => t.values),
    loop.order,
    ...(loop.average?.sums ?? []),
  ];
  const bytes = new Uint8Array(arrays.reduce((sum, a) => sum + a.byteLength, 0));
  let offset = 0;
  for (const a of arrays) {
    bytes.set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength), offset);
    offset += a.byteLength;
  }
  const tensors = `epoch-${loop.epochsDone}.bin`;
  await writeFileAtomic(`${dir}/${tensors}`, bytes);
  const state: StateFile = {
    tensors,
    run: { ...run, history: loop.history },
    loop: {
      epochsDone: loop.epochsDone,
      shuffleState: loop.shuffleState,
      augmentState: loop.augmentState,
      orderLength: loop.order.length,
      averagedEpochs: loop.average?.epochs ?? 0,
    },
    optimizer: {
      iterations: optimizer.iterations,
      accBeta1: optimizer.accBeta1,
      accBeta2: optimizer.accBeta2,
      momentShapes: optimizer.moments.map((m) => m.shape),
    },
    weightShapes: weights.map((w) => w.shape),
  };
  await writeFileAtomic(`${dir}/${STATE}`, JSON.stringify(state, null, 2) + "\n");
  for await (const entry of Deno.readDir(dir)) {
    if (/^epoch-\d+\.bin$/.test(entry.name) && entry.name !== tensors) {
      await Deno.remove(`${dir}/${entry.name}`);
    }
  }
}

/** Reads what saveCheckpoint wrote, or null when `dir` holds no checkpoint yet. */
export async function loadCheckpoint(dir: string): Promise<Checkpoint | null> {
  let state: StateFile;
  try {
    state = JSON.parse(await Deno.readTextFile(`${dir}/${STATE}`));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  const bytes = await Deno.readFile(`${dir}/${state.tensors}`);
  let offset = 0;
  const take = (shape: number[]) => {
    const values = new Float32Array(bytes.slice(offset, offset + size(shape) * 4).buffer);
    offset += values.byteLength;
    return { shape, values };
  };
  const weights = state.weightShapes.map(take);
  const moments = state.optimizer.momentShapes.map(take);
  const order = new Uint32Array(bytes.slice(offset, offset + state.loop.orderLength * 4).buffer);
  offset += order.byteLength;
  const averagedEpochs = state.loop.averagedEpochs ?? 0;
  const sums = averagedEpochs > 0 ? state.weightShapes.map((shape) => take(shape).values) : [];
  if (order.length !== state.loop.orderLength || offset !== bytes.length) {
    throw new Error(`${dir}/${state.tensors} is not the length ${STATE} says`);
  }
  const { momentShapes: _, ...adam } = state.optimizer;
  const { orderLength: __, averagedEpochs: ___, ...loop } = state.loop;
  return {
    run: state.run,
    loop: {
      ...loop,
      order,
      history: state.run.history,
      average: averagedEpochs > 0 ? { epochs: averagedEpochs, sums } : null,
    },
    optimizer: { ...adam, moments },
    weights,
  };
}
