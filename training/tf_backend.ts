/**
 * Chooses tfjs's backend for training: wasm (SIMD) with our convolution
 * gradient kernels, or cpu with a loud warning when wasm cannot start.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
// A bare import: a named import that goes unused is dropped and the backend never registers.
import "@tensorflow/tfjs-backend-wasm";
import { registerWasmConvGradients } from "./wasm_conv_kernels.ts";
import { registerWasmFastKernels } from "./wasm_fast_kernels.ts";

/** Activates the fastest working backend and returns its name. */
export async function initTrainingBackend(): Promise<string> {
  let ready = false;
  try {
    ready = await tf.setBackend("wasm");
  } catch (error) {
    console.error(`tfjs wasm backend failed: ${error}`);
  }
  if (ready) {
    registerWasmConvGradients();
    registerWasmFastKernels();
  } else {
    console.error(
      "WARNING: tfjs wasm backend unavailable; training on the cpu backend is ~100x slower.",
    );
    await tf.setBackend("cpu");
  }
  await tf.ready();
  return tf.getBackend();
}
