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
 * seedrandom's Alea (Johannes Baagøe's generator), the one tfjs's seeded randomUniform draws
 * from: the same seed string gives the same numbers. tfjs offers no way to start its stream
 * mid-batch, so each worker drew the whole batch's noise (~1.8 ms for 64 x 128 here, every
 * step); stepping this one past the rows before a slice costs microseconds.
 */
class Alea {
  #s0: number;
  #s1: number;
  #s2: number;
  #c = 1;

  constructor(seed: string) {
    const mash = aleaMash();
    const [space0, space1, space2] = [mash(" "), mash(" "), mash(" ")];
    this.#s0 = space0 - mash(seed);
    if (this.#s0 < 0) this.#s0 += 1;
    this.#s1 = space1 - mash(seed);
    if (this.#s1 < 0) this.#s1 += 1;
    this.#s2 = space2 - mash(seed);
    if (this.#s2 < 0) this.#s2 += 1;
  }

  next(): number {
    const t = 2091639 * this.#s0 + this.#c * 2.3283064365386963e-10; // 2^-32
    this.#s0 = this.#s1;
    this.#s1 = this.#s2;
    return this.#s2 = t - (this.#c = t | 0);
  }
}

/** Alea's seeding hash: each call goes on from the last one's state. */
function aleaMash(): (data: string) => number {
  let n = 0xefc8249d;
  return (data) => {
    for (let i = 0; i < data.length; i++) {
      n += data.charCodeAt(i);
      let h = 0.02519603282416938 * n;
      n = h >>> 0;
      h -= n;
      h *= n;
      n = h >>> 0;
      h -= n;
      n += h * 0x100000000; // 2^32
    }
    return (n >>> 0) * 2.3283064365386963e-10; // 2^-32
  };
}

/**
 * `count` values of the batch's noise from value `first` on: what
 * `tf.randomUniform(shape, 0, 1, "float32", seed)` holds there (its float32 values).
 */
export function sliceNoise(seed: string, first: number, count: number): Float32Array {
  const alea = new Alea(seed);
  for (let i = 0; i < first; i++) alea.next();
  const noise = new Float32Array(count);
  for (let i = 0; i < count; i++) noise[i] = alea.next();
  return noise;
}

/** A drop-in for `tf.layers.dropout` whose masks follow the training step and the batch. */
export function batchDropout(args: DropoutArgs): tf.layers.Layer {
  return new BatchDropout(args);
}
