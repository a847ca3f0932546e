/**
 * PNG files for tests: a minimal encoder (8-bit grey, grey+alpha or RGBA, no filtering) for the
 * images a browser canvas or the tutorial's client sends, and the same building blocks put
 * together wrongly on purpose (decompression bombs, headers that lie about the size).
 *
 * @module
 */
import { deflateSync } from "node:zlib";
import { concatBytes } from "../../inference/bytes.ts";

export type PngColour = "grey" | "grey-alpha" | "rgba";

const CHANNELS: Record<PngColour, number> = { "grey": 1, "grey-alpha": 2, "rgba": 4 };
const COLOUR_TYPE: Record<PngColour, number> = { "grey": 0, "grey-alpha": 4, "rgba": 6 };

/** Encodes `pixels` (row-major, `colour`'s channel count per pixel) as a PNG file. */
export async function encodePng(
  pixels: Uint8Array,
  width: number,
  height: number,
  colour: PngColour = "rgba",
): Promise<Uint8Array<ArrayBuffer>> {
  const stride = width * CHANNELS[colour];
  if (pixels.length !== stride * height) throw new RangeError("pixel count does not match size");
  const scanlines = new Uint8Array((stride + 1) * height); // filter byte 0 before each row
  for (let y = 0; y < height; y++) {
    scanlines.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  return pngWith(width, height, COLOUR_TYPE[colour], await deflate(scanlines));
}

/** A PNG declaring `width`x`height` (8-bit, colour type `colourType`) around `idat`. */
export function pngWith(
  width: number,
  height: number,
  colourType: number,
  idat: Uint8Array,
): Uint8Array<ArrayBuffer> {
  const header = new Uint8Array(13);
  const view = new DataView(header.buffer);
  view.setUint32(0, width);
  view.setUint32(4, height);
  header[8] = 8;
  header[9] = colourType;
  return concat([
    PNG_SIGNATURE,
    chunk("IHDR", header),
    chunk("IDAT", idat),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/**
 * A decompression bomb: a small file holding `side`x`side` blank pixels (1032:1 is deflate's
 * best ratio, so a 4096x4096 grey image is ~16 KB holding 16 MiB).
 */
export function pngBomb(side: number, colourType = 0): Uint8Array<ArrayBuffer> {
  const channels = { 0: 1, 2: 3, 4: 2, 6: 4 }[colourType] ?? 1;
  const rows = new Uint8Array((side * channels + 1) * side);
  return pngWith(side, side, colourType, deflateSync(rows, { level: 9 }));
}

/** A copy of a PNG whose IHDR claims another size (the CRC fixed, so only the size lies). */
export function pngClaiming(
  png: Uint8Array,
  width: number,
  height: number,
): Uint8Array<ArrayBuffer> {
  const copy = png.slice();
  const view = new DataView(copy.buffer);
  view.setUint32(16, width);
  view.setUint32(20, height);
  view.setUint32(29, crc32(copy.subarray(12, 29)));
  return copy;
}

const PNG_SIGNATURE = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** zlib-wrapped deflate, which is what PNG's IDAT holds. */
async function deflate(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
    new CompressionStream("deflate"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** A PNG chunk: length, type, data and CRC. */
export function chunk(type: string, data: Uint8Array): Uint8Array {
  const out = new Uint8Array(12 + data.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, data.length);
  out.set(new TextEncoder().encode(type), 4);
  out.set(data, 8);
  view.setUint32(8 + data.length, crc32(out.subarray(4, 8 + data.length)));
  return out;
}

const CRC_TABLE = Uint32Array.from({ length: 256 }, (_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

/** Joins byte arrays into one. */
export const concat = concatBytes;
