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
import { decodePngFast, releasePixels } from "./png_decode.ts";

interface PngDecoder {
  decode(bytes: Uint8Array): { width: number; height: number; framebuffer: Uint8Array };
}
interface JpegDecoder {
  load(bytes: Uint8Array): { width: number; height: number; buffer: Uint8Array };
  /** At the smallest DCT scale (1, 1/2, 1/4, 1/8) with sides at least `width` x `height`. */
  decode(bytes: Uint8Array, width: number, height: number): {
    width: number;
    height: number;
    /** 0: grey, 1: RGB, 2: CMYK (inverted, as Adobe writes it), one byte per channel. */
    format: number;
    buffer: Uint8Array;
  };
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

export interface DecodeOptions {
  /**
   * A JPEG with a longer side than this is decoded shrunk by DCT scaling (1/2, 1/4 or 1/8) to
   * sides at least this: the decoder never builds the full-size pixels (a 4096x4096 one's
   * 64 MiB of RGBA and its copies). PNGs ignore it (png_stream_decode.ts shrinks those).
   */
  shrinkJpegTo?: number;
}

/** The decoded image and its header. */
export interface DecodedImage {
  header: ImageHeader;
  image: PixelImage;
  /**
   * Frees the pixels now, for a caller done with them (`image` must not be read afterwards);
   * see png_decode.ts `releasePixels`. Nothing for pixels the decoders may share.
   */
  release(): void;
}

const keepPixels = () => {};

/**
 * Decodes a PNG or JPEG. Throws `unsupported_media_type` for other formats,
 * `image_too_large` past `maxSide`, `undecodable_image` for corrupt or truncated files.
 */
export async function decodeImage(
  bytes: Uint8Array,
  maxSide = MAX_IMAGE_SIDE,
  { shrinkJpegTo = Infinity }: DecodeOptions = {},
): Promise<DecodedImage> {
  const header = readImageHeader(bytes, maxSide);
  const fast = header.format === "png" ? decodePngFast(bytes) : null;
  if (fast !== null) return { header, image: fast, release: () => releasePixels(fast) };
  const { png, jpeg } = await initImageDecoders();
  let image: PixelImage;
  try {
    if (header.format === "png") {
      const { width, height, framebuffer } = png.decode(bytes);
      image = { width, height, channels: 4, data: framebuffer };
    } else if (Math.max(header.width, header.height) > shrinkJpegTo) {
      image = shrunkJpeg(jpeg, bytes, header, shrinkJpegTo);
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
  const scale = image.width / header.width;
  if (
    ![1, 1 / 2, 1 / 4, 1 / 8].includes(scale) || image.height !== Math.ceil(header.height * scale)
  ) {
    throw new DigitlabError("undecodable_image", "the decoded size differs from the header's");
  }
  return { header, image, release: keepPixels };
}

/** A JPEG decoded at the DCT scale that leaves its longer side at least `side`. */
function shrunkJpeg(
  jpeg: JpegDecoder,
  bytes: Uint8Array,
  header: ImageHeader,
  side: number,
): PixelImage {
  const factor = side / Math.max(header.width, header.height);
  const decoded = jpeg.decode(
    bytes,
    Math.ceil(header.width * factor),
    Math.ceil(header.height * factor),
  );
  const { width, height, format, buffer } = decoded;
  if (format === 0) return { width, height, channels: 1, data: buffer.subarray(0, width * height) };
  if (format === 1) {
    return { width, height, channels: 3, data: buffer.subarray(0, 3 * width * height) };
  }
  // CMYK to RGB as imagescript's load() does it: each colour scaled by K.
  const rgb = new Uint8Array(3 * width * height);
  for (let pixel = 0; pixel < width * height; pixel++) {
    const k = buffer[4 * pixel + 3];
    for (let c = 0; c < 3; c++) rgb[3 * pixel + c] = k * buffer[4 * pixel + c] / 255;
  }
  return { width, height, channels: 3, data: rgb };
}
