/**
 * Adam for training on one thread: wasm_adam.ts's kernel run over each variable where tfjs's
 * wasm backend keeps it, in its own heap, instead of tfjs's AdamOptimizer, which runs ~10
 * element-wise kernels (each a new tensor) per variable and step. The same bits as tfjs's
 * (wasm_adam_test.ts, heap_adam_test.ts) and the same AdamState (adam_state.ts), so a
 * checkpoint resumes on either.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { AdamState } from "./adam_state.ts";
import { type AdamStep, nextAccumulators } from "./split_adam.ts";
import { WasmAdam } from "./wasm_adam.ts";

/** What this needs of tfjs's wasm backend (backend_wasm.ts). */
interface WasmBackend extends tf.KernelBackend {
  wasm: { asm: { memory: WebAssembly.Memory } };
  makeOutput(shape: number[], dtype: tf.DataType): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): tf.backend_util.TypedArray;
}

/**
 * Where Adam stands before the next step: tfjs's constants (AdamOptimizer's defaults, read from
 * the optimizer itself) and the accumulators as `state` left them (a fresh run's without one).
 * The workers (train_worker.ts) start from it too.
 */
export function startingStep(
  learningRate: number,
  state: AdamState | null,
): AdamStep & { iterations: number } {
  const optimizer = tf.train.adam(learningRate);
  const { beta1, beta2, epsilon } = optimizer as unknown as AdamStep;
  optimizer.dispose();
  return {
    learningRate,
    beta1,
    beta2,
    epsilon,
    iterations: state?.iterations ?? 0,
    accBeta1: state?.accBeta1 ?? Math.fround(beta1),
    accBeta2: state?.accBeta2 ?? Math.fround(beta2),
  };
}

/** Adam over `variables` (in the order AdamState keeps their moments) on tfjs's wasm heap. */
export class HeapAdam {
  readonly #backend: WasmBackend;
  readonly #kernel: WasmAdam;
  /** First moments of each variable, then second moments, as tensors tfjs does not see. */
  readonly #moments: tf.Tensor[];
  readonly #step: AdamStep & { iterations: number };

  constructor(readonly variables: tf.Variable[], learningRate: number, state: AdamState | null) {
    if (tf.getBackend() !== "wasm") throw new Error(`HeapAdam needs wasm, not ${tf.getBackend()}`);
    this.#backend = tf.backend() as WasmBackend;
    this.#kernel = new WasmAdam(this.#backend.wasm.asm.memory);
    this.#step = startingStep(learningRate, state);
    const moment = (i: number) => {
      const saved = state?.moments[i];
      const variable = variables[i % variables.length];
      return saved ? tf.tensor(saved.values, saved.shape) : tf.zeros(variable.shape);
    };
    this.#moments = Array.from({ length: 2 * variables.length }, (_, i) => tf.keep(moment(i)));
  }

  /**
   * One step with `gradients` (one per variable, in order): the moments change in place; each
   * weight becomes a new tensor, since the wasm backend caches XNNPACK's packed copy of a
   * matrix product's operand by tensor.
   */
  apply(gradients: tf.Tensor[], learningRate: number): void {
    const backend = this.#backend, count = this.variables.length;
    this.#step.learningRate = learningRate;
    tf.tidy(() => {
      this.variables.forEach((variable, i) => {
        // Made first: allocating may grow the heap, which moves every view of it.
        const next = tf.engine().makeTensorFromTensorInfo(
          backend.makeOutput(variable.shape, "float32"),
        );
        const heap = (tensor: tf.Tensor) => backend.typedArrayFromHeap(tensor) as Float32Array;
        this.#kernel.update({
          weights: heap(next),
          oldWeights: heap(variable),
          firstMoments: heap(this.#moments[i]),
          secondMoments: heap(this.#moments[count + i]),
          gradients: [heap(gradients[i])],
        }, this.#step);
        variable.assign(next);
      });
    });
    Object.assign(this.#step, nextAccumulators(this.#step));
    this.#step.iterations++;
  }

  /** The optimizer's state, as readAdamState gives tfjs's. */
  state(): AdamState {
    return {
      iterations: this.#step.iterations,
      accBeta1: this.#step.accBeta1,
      accBeta2: this.#step.accBeta2,
      moments: this.#moments.map((m) => ({
        shape: m.shape,
        values: Float32Array.from(this.#backend.typedArrayFromHeap(m) as Float32Array),
      })),
    };
  }

  dispose(): void {
    tf.dispose(this.#moments);
  }
}
