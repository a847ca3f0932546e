/**
 * A worker for big images: decodes one, builds the 28x28 field and, after a full decode, exits, so the
 * memory the decode took (JS garbage, the decoders' WebAssembly heaps, which never shrink)
 * goes with the worker instead of staying in a long-lived thread. See big_decode.ts. PNGs are
 * shrunk to at most BIG_IMAGE_SIDE while they inflate (png_stream_decode.ts), so even a
 * 16-bit 4096x4096 image holds only a few rows at a time.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { DigitlabError } from "../lib/errors.ts";
import { mnistField } from "../lib/preprocess.ts";
import { readImageHeader } from "./image_header.ts";
import { decodePngDownscaled } from "./png_stream_decode.ts";

/** Big PNGs are preprocessed from this size at most: 36x the 28x28 field's 20 px digit box. */
export const BIG_IMAGE_SIDE = 1024;

export interface BigDecodeRequest {
  bytes: Uint8Array;
  maxSide?: number;
  /** Int32 [0]: ordinary predictions in progress now (BigDecodePool counts them). */
  ordinary?: SharedArrayBuffer;
}

/**
 * While ordinary predictions are in progress, a streaming decode rests this many times as long
 * as it last worked (it runs at a quarter of its speed): on two cores its thread otherwise
 * takes a CPU from the HTTP thread and the inference worker those predictions need.
 */
export const REST_PER_WORK = 3;

/** A pause for decodePngDownscaled: rests in proportion to the work since the last one. */
function yieldingTo(ordinary: SharedArrayBuffer | undefined): (() => Promise<void>) | undefined {
  if (!ordinary) return undefined;
  const inProgress = new Int32Array(ordinary);
  let resumed = performance.now();
  return async () => {
    if (Atomics.load(inProgress, 0) > 0) {
      const worked = performance.now() - resumed;
      await new Promise((resolve) => setTimeout(resolve, Math.max(1, REST_PER_WORK * worked)));
    }
    resumed = performance.now();
  };
}

/** `kept`: the worker stays for the next image (false: it is exiting). */
export type BigDecodeReply =
  & { kept: boolean }
  & (
    | { ok: true; field: Float32Array; decodeMs: number; preprocessMs: number }
    | { ok: false; code: string; message: string }
  );

self.onmessage = async (event: MessageEvent<BigDecodeRequest>) => {
  let reply: BigDecodeReply;
  // Only the streaming path's small garbage may stay; a full decode's leaves with the worker.
  let kept = true;
  try {
    const started = performance.now();
    const { bytes, maxSide, ordinary } = event.data;
    const header = readImageHeader(bytes, maxSide);
    let image = header.format === "png"
      ? await decodePngDownscaled(bytes, BIG_IMAGE_SIDE, yieldingTo(ordinary))
      : null;
    if (image === null) {
      kept = false;
      // The general decoders (imagescript's wasm) load only when needed (~100 ms).
      // JPEGs shrink by DCT scaling while they decode (progressive ones cannot be streamed).
      const { decodeImage } = await import("./image_decode.ts");
      image = (await decodeImage(bytes, maxSide, { shrinkJpegTo: BIG_IMAGE_SIDE })).image;
    }
    const decoded = performance.now();
    const field = mnistField(image);
    reply = {
      kept,
      ok: true,
      field,
      decodeMs: decoded - started,
      preprocessMs: performance.now() - decoded,
    };
  } catch (error) {
    reply = error instanceof DigitlabError
      ? { kept, ok: false, code: error.code, message: error.message }
      : { kept: false, ok: false, code: "internal_error", message: String(error) };
  }
  self.postMessage(reply);
  if (!reply.kept) self.close();
};
