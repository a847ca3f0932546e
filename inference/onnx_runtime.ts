/**
 * onnxruntime-web (WASM) for the server and the evaluator: one place that starts the runtime,
 * opens sessions from model bytes and runs batches of 28x28 digits.
 *
 * @module
 */
import * as ort from "onnxruntime-web";

/** Pixels per digit: the models take NCHW [batch, 1, 28, 28]. */
export const DIGIT_PIXELS = 28 * 28;

/** Classes the models score (digits 0-9). */
export const CLASS_COUNT = 10;

/**
 * The runtime's WebAssembly file. We read it ourselves and hand ort the bytes, so a
 * `deno compile`d binary needs no file beside it: pass this path to `deno compile --include`.
 * Resolved through the package, so it does not depend on the working directory.
 */
export const ORT_WASM_URL: URL = new URL(
  import.meta.resolve("onnxruntime-web/ort-wasm-simd-threaded.wasm"),
);

export interface RuntimeOptions {
  /** WASM threads; ort's Deno support is reliable with 1, 2 works via worker_threads. */
  numThreads?: number;
  /**
   * The runtime already compiled (see compileOnnxRuntime), e.g. by the main thread for its
   * inference workers: V8 then shares the machine code between them instead of compiling the
   * 14 MB module again in each (about 110 MB of memory apiece).
   */
  module?: WebAssembly.Module;
}

let started: Promise<void> | undefined;

/** Compiles onnxruntime's WebAssembly once, to hand to workers (it can cross postMessage). */
export async function compileOnnxRuntime(): Promise<WebAssembly.Module> {
  return await WebAssembly.compile(await Deno.readFile(ORT_WASM_URL));
}

/**
 * Configures ort once. ort reads `env.wasm` only when the first session is created, so later
 * calls with other options are ignored; call this at start-up to choose `numThreads`.
 */
export function initOnnxRuntime(options: RuntimeOptions = {}): Promise<void> {
  started ??= (async () => {
    ort.env.wasm.numThreads = options.numThreads ?? 1;
    if (options.module) {
      ort.env.wasm.wasmBinary = instantiateFromModule(options.module);
    } else {
      ort.env.wasm.wasmBinary = await Deno.readFile(ORT_WASM_URL);
    }
  })();
  return started;
}

/**
 * ort only accepts wasm bytes. We give it a marker instead and answer its one
 * `WebAssembly.instantiate(bytes, imports)` with an instance of the compiled module; every
 * other call goes to the real function.
 */
function instantiateFromModule(module: WebAssembly.Module): Uint8Array {
  const marker = new TextEncoder().encode("digitlab:compiled-onnxruntime");
  const isMarker = (source: unknown) => {
    const bytes = source instanceof ArrayBuffer
      ? new Uint8Array(source)
      : ArrayBuffer.isView(source)
      ? new Uint8Array(source.buffer, source.byteOffset, source.byteLength)
      : null;
    return bytes !== null && bytes.length === marker.length &&
      bytes.every((byte, i) => byte === marker[i]);
  };
  const instantiate = WebAssembly.instantiate;
  // deno-lint-ignore no-explicit-any
  (WebAssembly as any).instantiate = async function instantiateShared(
    source: BufferSource | WebAssembly.Module,
    imports?: WebAssembly.Imports,
  ) {
    if (!isMarker(source)) return await instantiate(source as BufferSource, imports);
    const instance = await WebAssembly.instantiate(module, imports);
    return { instance, module };
  };
  return marker;
}

/**
 * Options for every session. onnxruntime's QDQ propagation would move an int8 model's
 * QuantizeLinear from after the first MaxPool to before it, turning a fast float pool into a
 * slow NCHW uint8 one: cnn-aug's int8 twin runs 471 us per digit with it, 362 without (batch 32).
 */
const SESSION_OPTIONS: ort.InferenceSession.SessionOptions = {
  extra: { optimization: { disable_specified_optimizers: "QDQPropagationTransformer" } },
};

/** Opens an inference session on a model's bytes (starting the runtime if needed). */
export async function createSession(modelBytes: Uint8Array): Promise<ort.InferenceSession> {
  await initOnnxRuntime();
  return await ort.InferenceSession.create(modelBytes, SESSION_OPTIONS);
}

/** The model's two outputs for a batch, each [batch, 10] row-major. */
export interface BatchOutputs {
  logits: Float32Array;
  probabilities: Float32Array;
}

/** Runs a batch (NCHW [batch,1,28,28], already normalised) and returns both outputs. */
export async function runBatch(
  session: ort.InferenceSession,
  input: Float32Array,
  batch: number,
): Promise<BatchOutputs> {
  const [logits, probabilities] = await run(session, input, batch, ["logits", "probabilities"]);
  return { logits, probabilities };
}

/** Runs a batch (NCHW [batch,1,28,28], already normalised) and returns logits [batch,10]. */
export async function runLogits(
  session: ort.InferenceSession,
  input: Float32Array,
  batch: number,
): Promise<Float32Array> {
  const [logits] = await run(session, input, batch, ["logits"]);
  return logits;
}

async function run(
  session: ort.InferenceSession,
  input: Float32Array,
  batch: number,
  names: string[],
): Promise<Float32Array[]> {
  if (!Number.isInteger(batch) || batch < 1 || input.length !== batch * DIGIT_PIXELS) {
    throw new RangeError(
      `input has ${input.length} values; a batch of ${batch} needs ${batch * DIGIT_PIXELS}`,
    );
  }
  const feed = new ort.Tensor("float32", input, [batch, 1, 28, 28]);
  const results = await session.run({ input: feed }, names);
  return names.map((name) => {
    const tensor = results[name];
    const data = tensor.data as Float32Array;
    tensor.dispose();
    return data;
  });
}

export type { InferenceSession } from "onnxruntime-web";
