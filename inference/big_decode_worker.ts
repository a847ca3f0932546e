/**
 * A one-shot worker for one big image: decodes it, builds the 28x28 field and exits, so the
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
import { readImageHeader } from "../lib/image_header.ts";
import { decodeImage } from "./image_decode.ts";
import { decodePngDownscaled } from "./png_stream_decode.ts";

/** Big PNGs are preprocessed from this size at most: 36x the 28x28 field's 20 px digit box. */
export const BIG_IMAGE_SIDE = 1024;

export interface BigDecodeRequest {
  bytes: Uint8Array;
  maxSide?: number;
}

export type BigDecodeReply =
  | { ok: true; field: Float32Array; decodeMs: number; preprocessMs: number }
  | { ok: false; code: string; message: string };

self.onmessage = async (event: MessageEvent<BigDecodeRequest>) => {
  let reply: BigDecodeReply;
  try {
    const started = performance.now();
    const { bytes, maxSide } = event.data;
    const header = readImageHeader(bytes, maxSide);
    const image =
      (header.format === "png" ? await decodePngDownscaled(bytes, BIG_IMAGE_SIDE) : null) ??
        (await decodeImage(bytes, maxSide)).image;
    const decoded = performance.now();
    const field = mnistField(image);
    reply = {
      ok: true,
      field,
      decodeMs: decoded - started,
      preprocessMs: performance.now() - decoded,
    };
  } catch (error) {
    reply = error instanceof DigitlabError
      ? { ok: false, code: error.code, message: error.message }
      : { ok: false, code: "internal_error", message: String(error) };
  }
  self.postMessage(reply);
  self.close();
};
