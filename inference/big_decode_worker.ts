/**
 * A one-shot worker for one big image: decodes it, builds the 28x28 field and exits, so the
 * memory the decode took (JS garbage, the decoders' WebAssembly heaps, which never shrink)
 * goes with the worker instead of staying in a long-lived thread. See big_decode.ts.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { DigitlabError } from "../lib/errors.ts";
import { mnistField } from "../lib/preprocess.ts";
import { decodeImage } from "./image_decode.ts";

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
    const { image } = await decodeImage(event.data.bytes, event.data.maxSide);
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
