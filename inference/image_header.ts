/**
 * Recognises PNG and JPEG by their first bytes and reads their dimensions from the header,
 * so an image that would decode into too many pixels is refused before any decoding.
 *
 * @module
 */
import { DigitlabError } from "../lib/errors.ts";

export type ImageFormat = "png" | "jpeg";

export interface ImageHeader {
  format: ImageFormat;
  width: number;
  height: number;
}

/** The largest width or height we decode: a 4096x4096 RGBA image is already 64 MiB. */
export const MAX_IMAGE_SIDE = 4096;

const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];

/** "png" or "jpeg" from the magic bytes, or null for anything else. */
export function sniffImageFormat(bytes: Uint8Array): ImageFormat | null {
  if (bytes.length >= 8 && PNG_SIGNATURE.every((b, i) => bytes[i] === b)) return "png";
  if (bytes.length >= 3 && bytes[0] === 0xff && bytes[1] === 0xd8 && bytes[2] === 0xff) {
    return "jpeg";
  }
  return null;
}

/**
 * The format and dimensions an image declares. Throws `unsupported_media_type` for other
 * formats, `undecodable_image` for a header cut short or malformed, and `image_too_large`
 * when a side exceeds `maxSide`.
 */
export function readImageHeader(bytes: Uint8Array, maxSide = MAX_IMAGE_SIDE): ImageHeader {
  const format = sniffImageFormat(bytes);
  if (format === null) {
    throw new DigitlabError(
      "unsupported_media_type",
      "not an image we read: send a PNG or a JPEG",
    );
  }
  const size = format === "png" ? pngSize(bytes) : jpegSize(bytes);
  if (size === null || size.width === 0 || size.height === 0) {
    throw new DigitlabError(
      "undecodable_image",
      `the ${format.toUpperCase()} header is truncated or malformed`,
    );
  }
  if (size.width > maxSide || size.height > maxSide) {
    throw new DigitlabError(
      "image_too_large",
      `the image is ${size.width}x${size.height}; the limit is ${maxSide}x${maxSide}`,
    );
  }
  return { format, ...size };
}

type Size = { width: number; height: number };

/** IHDR must be the first chunk: length(4) "IHDR" width(4) height(4), big-endian. */
function pngSize(bytes: Uint8Array): Size | null {
  if (bytes.length < 24) return null;
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const isIhdr = bytes[12] === 0x49 && bytes[13] === 0x48 && bytes[14] === 0x44 &&
    bytes[15] === 0x52;
  if (!isIhdr) return null;
  return { width: view.getUint32(16), height: view.getUint32(20) };
}

/** Walks the marker segments up to the first start-of-frame, which holds the dimensions. */
function jpegSize(bytes: Uint8Array): Size | null {
  let offset = 2;
  while (offset + 4 <= bytes.length) {
    if (bytes[offset] !== 0xff) return null;
    const marker = bytes[offset + 1];
    if (marker === 0xff) { // fill byte before a marker
      offset += 1;
      continue;
    }
    // Markers without a length: TEM and RST0-7.
    if (marker === 0x01 || (marker >= 0xd0 && marker <= 0xd7)) {
      offset += 2;
      continue;
    }
    // End of image or start of scan before any frame header: nothing to size.
    if (marker === 0xd9 || marker === 0xda) return null;
    const length = (bytes[offset + 2] << 8) | bytes[offset + 3];
    if (length < 2) return null;
    if (isStartOfFrame(marker)) {
      if (offset + 9 > bytes.length) return null;
      return {
        width: (bytes[offset + 7] << 8) | bytes[offset + 8],
        height: (bytes[offset + 5] << 8) | bytes[offset + 6],
      };
    }
    offset += 2 + length;
  }
  return null;
}

/** SOF0-SOF15 except DHT (C4), JPG (C8) and DAC (CC), which share the range. */
function isStartOfFrame(marker: number): boolean {
  return marker >= 0xc0 && marker <= 0xcf && marker !== 0xc4 && marker !== 0xc8 &&
    marker !== 0xcc;
}
