/**
 * tfjs's Dropout, made to give a worker holding a slice of the batch (batch_shard.ts) the rows
 * of the mask the whole batch would have had. tfjs draws a seeded layer's mask afresh from its
 * seed at every call, so the mask depends on the batch's shape: two half batches would both
 * get the first half's rows. Without a slice this is tfjs's own layer; the class name stays
 * Dropout for the export and checkpoints.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import { currentShard } from "./batch_shard.ts";

type DropoutArgs = Parameters<typeof tf.layers.dropout>[0];
type Kwargs = Record<string, unknown>;
// tfjs exports only a factory; its class is the prototype of what the factory makes.
const Dropout = tf.layers.dropout({ rate: 0.5 }).constructor as {
  new (args: DropoutArgs): tf.layers.Layer;
};

class BatchDropout extends Dropout {
  override call(inputs: tf.Tensor | tf.Tensor[], kwargs: Kwargs): tf.Tensor | tf.Tensor[] {
    const shard = currentShard();
    const self = this as unknown as { rate: number; seed?: number; noiseShape?: number[] };
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    const sliced = shard && kwargs["training"] === true && self.rate > 0 && self.rate < 1 &&
      self.noiseShape == null && self.seed !== undefined;
    if (!sliced) return super.call(inputs, kwargs);
    return tf.tidy(() => {
      // tf.dropout's own arithmetic, on the whole batch's noise.
      const keep = 1 - self.rate;
      const noise = tf.randomUniform(
        [shard.total, ...x.shape.slice(1)],
        0,
        1,
        "float32",
        self.seed,
      );
      const rows = tf.slice(noise, shard.offset, shard.size);
      return tf.mul(x, tf.div(tf.floor(tf.add(rows, keep)), keep));
    });
  }
}

/** A drop-in for `tf.layers.dropout` that slices the whole batch's mask in a worker. */
export function batchDropout(args: DropoutArgs): tf.layers.Layer {
  return new BatchDropout(args);
}
