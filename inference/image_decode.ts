/**
 * PNG and JPEG to pixels. The usual PNGs take a fast path (png_decode.ts) that keeps their own
 * channels; everything else goes to imagescript's WebAssembly decoders (its main entry needs
 * FFI; these do not), which give RGBA. The header is checked first, so nothing over the size
 * limit is decoded.
 *
 * Server side only: the browser decodes with its own canvas and shares the preprocessing.
 *
 * @module
 */
import pngCodec from "imagescript/wasm/node/png.js";
import jpegCodec from "imagescript/wasm/node/jpeg.js";
import { DigitlabError } from "../lib/errors.ts";
import { type ImageHeader, MAX_IMAGE_SIDE, readImageHeader } from "./image_header.ts";
import type { PixelImage } from "../lib/ink_map.ts";
import { decodePngFast } from "./png_decode.ts";

interface PngDecoder {
  decode(bytes: Uint8Array): { width: number; height: number; framebuffer: Uint8Array };
}
interface JpegDecoder {
  load(bytes: Uint8Array): { width: number; height: number; buffer: Uint8Array };
}
interface Codec<T> {
  init(): Promise<T>;
  new (): T;
}

/**
 * A decoder instance's WebAssembly memory grows to the largest image it has decoded and never
 * shrinks; after an image this large we start a fresh instance so memory returns to baseline.
 */
const FRESH_INSTANCE_AFTER_PIXELS = 1024 * 1024;

interface Decoders {
  png: PngDecoder;
  jpeg: JpegDecoder;
}

let decoders: Promise<Decoders> | undefined;

/** Compiles both decoders (a few milliseconds); call at start-up so no request waits for it. */
export function initImageDecoders(): Promise<Decoders> {
  decoders ??= (async () => ({
    png: await (pngCodec as unknown as Codec<PngDecoder>).init(),
    jpeg: await (jpegCodec as unknown as Codec<JpegDecoder>).init(),
  }))();
  return decoders;
}

/** The decoded image and its header. */
export interface DecodedImage {
  header: ImageHeader;
  image: PixelImage;
}

/**
 * Decodes a PNG or JPEG. Throws `unsupported_media_type` for other formats,
 * `image_too_large` past `maxSide`, `undecodable_image` for corrupt or truncated files.
 */
export async function decodeImage(
  bytes: Uint8Array,
  maxSide = MAX_IMAGE_SIDE,
): Promise<DecodedImage> {
  const header = readImageHeader(bytes, maxSide);
  const fast = header.format === "png" ? decodePngFast(bytes) : null;
  if (fast !== null) return { header, image: fast };
  const { png, jpeg } = await initImageDecoders();
  let image: PixelImage;
  try {
    if (header.format === "png") {
      const { width, height, framebuffer } = png.decode(bytes);
      image = { width, height, channels: 4, data: framebuffer };
    } else {
      const { width, height, buffer } = jpeg.load(bytes);
      image = { width, height, channels: 4, data: buffer };
    }
  } catch {
    // Decoder messages are codes like "png: failed to decode (-8)": nothing a client can use.
    throw new DigitlabError(
      "undecodable_image",
      `the ${header.format.toUpperCase()} does not decode: it is truncated or corrupt`,
    );
  } finally {
    if (header.width * header.height > FRESH_INSTANCE_AFTER_PIXELS) {
      decoders = undefined; // requests holding the old instances finish with them
    }
  }
  if (image.width !== header.width || image.height !== header.height) {
    throw new DigitlabError("undecodable_image", "the decoded size differs from the header's");
  }
  return { header, image };
}
