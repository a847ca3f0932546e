/**
 * tfjs's Dropout with two changes for training. A seeded layer's mask changes from step to
 * step: tfjs draws it afresh from the layer's seed at every call, so every step dropped the same
 * units; here it draws from the seed and the training step (`withTrainingStep`), which a resumed
 * run knows as well as an uninterrupted one. And a worker holding a slice of the batch
 * (batch_shard.ts) gets the rows of the mask the whole batch would have had, drawing only those
 * (sliceNoise: tfjs's randomUniform cannot start mid-stream). Outside a training
 * step this is tfjs's own layer; the class name stays Dropout for the export and checkpoints.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import seedrandom from "seedrandom";
import { currentShard, StepContext } from "./batch_shard.ts";

type DropoutArgs = Parameters<typeof tf.layers.dropout>[0];
type Kwargs = Record<string, unknown>;
// tfjs exports only a factory; its class is the prototype of what the factory makes.
const Dropout = tf.layers.dropout({ rate: 0.5 }).constructor as {
  new (args: DropoutArgs): tf.layers.Layer;
};

const steps = new StepContext<number>();

/** Runs `step` as training step `index` (steps taken before it in the run, from 0). */
export function withTrainingStep<T>(index: number, step: () => T): T {
  return steps.run(index, step);
}

class BatchDropout extends Dropout {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const self = this as unknown as { rate: number; seed?: number; noiseShape?: number[] };
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const step = steps.current;
    const own = step !== null && kwargs["training"] === true && self.rate > 0 &&
      self.rate < 1 && self.noiseShape == null && self.seed !== undefined;
    if (!own) return super.call(inputs, kwargs);
    const offset = currentShard()?.offset ?? 0;
    return tf.tidy(() => {
      // tf.dropout's own arithmetic, on this slice's rows of the whole batch's noise.
      const keep = 1 - self.rate;
      const first = offset * (x.size / x.shape[0]);
      const noise = sliceNoise(`${self.seed}/${step}`, first, x.size);
      const rows = tf.tensor(noise, x.shape, "float32");
      return tf.mul(x, tf.div(tf.floor(tf.add(rows, keep)), keep));
    });
  }
}

/**
 * `count` values of the batch's noise from value `first` on: what
 * `tf.randomUniform(shape, 0, 1, "float32", seed)` holds there (its float32 values).
 */
export function sliceNoise(seed: string, first: number, count: number): Float32Array {
  // tfjs's own generator (seedrandom's Alea): tfjs offers no way to start its stream mid-batch,
  // so each worker drew the whole batch's noise (~1.8 ms for 64 x 128, every step); stepping
  // this one past the rows before a slice costs microseconds.
  const alea = seedrandom.alea(seed);
  for (let i = 0; i < first; i++) alea();
  const noise = new Float32Array(count);
  for (let i = 0; i < count; i++) noise[i] = alea();
  return noise;
}

/** A drop-in for `tf.layers.dropout` whose masks follow the training step and the batch. */
export function batchDropout(args: DropoutArgs): tf.layers.Layer {
  return new BatchDropout(args);
}
