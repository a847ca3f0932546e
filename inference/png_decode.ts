/**
 * A fast path for the PNGs clients send (8-bit grey, grey+alpha, RGB, RGBA or palette, not
 * interlaced): the chunks are walked here, the pixels inflated by Deno's native zlib and
 * unfiltered in place in one tight loop, straight into the channels the image has (no RGBA
 * expansion, which the preprocessing would only read back).
 *
 * Anything else, and anything malformed, returns null so that the general decoder handles it
 * and decides what is an error: this path never accepts a file the general decoder rejects
 * (it checks the CRC of every chunk that decoder checks, the zlib checksum, the exact data
 * length and the filter types), so falling back keeps the answers and the error messages.
 *
 * Server side only (node:zlib).
 *
 * @module
 */
import { crc32, inflateSync } from "node:zlib";
import type { PixelImage } from "../lib/ink_map.ts";
import { concatBytes } from "./bytes.ts";

/** Channels per colour type; palette images come out as RGB. */
const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const PALETTE = 3;

const IHDR = 0x49484452;
const PLTE = 0x504c5445;
const IDAT = 0x49444154;
const IEND = 0x49454e44;
const TRNS = 0x74524e53;

/** Node's zlib refuses a smaller output chunk. */
const MIN_CHUNK = 64;
/** Inflating in chunks of at most this bounds what a lying header makes us allocate. */
const MAX_CHUNK = 1 << 20;

/**
 * The pixels of a PNG of the kinds above, or null when the general decoder should handle it.
 * The caller checks the size limits on the header first.
 */
export function decodePngFast(bytes: Uint8Array): PixelImage | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  // Signature (checked by the caller), then IHDR: its length, type, 13 bytes and CRC.
  if (bytes.length < 33 || view.getUint32(8) !== 13 || view.getUint32(12) !== IHDR) return null;
  if (!crcMatches(bytes, view, 8, 13)) return null;
  const width = view.getUint32(16), height = view.getUint32(20);
  const [depth, colourType, compression, filter, interlace] = bytes.subarray(24, 29);
  const channels = CHANNELS[colourType];
  if (
    width === 0 || height === 0 || depth !== 8 || channels === undefined || compression !== 0 ||
    filter !== 0 || interlace !== 0
  ) return null;

  // The layout imagescript accepts, strictly: chunks named in letters, ancillary ones before
  // the image data only, IDAT chunks (none empty) in one run, then an empty IEND.
  let palette: Uint8Array | null = null;
  const parts: Uint8Array[] = [];
  let offset = 33;
  for (;;) {
    if (offset + 12 > bytes.length) return null; // no IEND: leave the leniency to the other
    const length = view.getUint32(offset);
    const type = view.getUint32(offset + 4);
    const end = offset + 12 + length;
    if (end > bytes.length || !namedInLetters(bytes, offset + 4)) return null;
    if (type === IEND) {
      if (length !== 0) return null;
      break;
    }
    if (type === IDAT) {
      if (length === 0 || !crcMatches(bytes, view, offset, length)) return null;
      parts.push(bytes.subarray(offset + 8, offset + 8 + length));
    } else if (parts.length > 0) {
      return null; // something between the image data and IEND
    } else if (type === PLTE && colourType === PALETTE && palette === null) {
      if (length % 3 !== 0 || length > 768 || !crcMatches(bytes, view, offset, length)) {
        return null;
      }
      palette = bytes.subarray(offset + 8, offset + 8 + length);
    } else if (type === TRNS || (bytes[offset + 4] & 0x20) === 0) {
      // Transparency, or a critical chunk this path does not know.
      return null;
    }
    // Ancillary chunks (text, gamma, resolution...) do not change the pixels we return.
    offset = end;
  }
  if (parts.length === 0 || (colourType === PALETTE && palette === null)) return null;

  const stride = width * channels;
  const expected = (stride + 1) * height;
  const zlib = parts.length === 1 ? parts[0] : concatBytes(parts);
  let raw: Uint8Array;
  try {
    const chunkSize = Math.min(MAX_CHUNK, Math.max(MIN_CHUNK, expected + 1));
    const { buffer, engine } = inflateSync(zlib, {
      chunkSize,
      maxOutputLength: expected,
      info: true,
    }) as unknown as { buffer: Uint8Array; engine: { bytesWritten: number } };
    // Bytes after the zlib stream make the file malformed; zlib itself ignores them.
    if (buffer.length !== expected || engine.bytesWritten !== zlib.length) return null;
    raw = new Uint8Array(buffer.buffer, buffer.byteOffset, buffer.length); // not a Buffer
  } catch {
    return null; // corrupt, truncated or longer than the header says
  }
  const data = unfilter(raw, width * channels, height, channels);
  if (data === null) return null;
  if (palette === null) return { width, height, channels, data };
  const rgb = expandPalette(data, palette);
  return rgb && { width, height, channels: 3, data: rgb };
}

/**
 * Frees the pixels of an image `decodePngFast` returned now, not at a later garbage collection;
 * the image must not be read afterwards. A request that makes big pixel buffers but few small
 * objects (a number's) runs ~100 times between young-generation collections, so its dead
 * buffers piled up (V8 counted ~100 MB outside its heap) until a full mark-compact freed them.
 * Only a buffer holding these pixels alone is freed: small inflates share a pool of Buffers.
 */
export function releasePixels(image: PixelImage): void {
  const { data, height } = image;
  const buffer = data.buffer;
  // The inflated rows (pixels and one filter byte a row, plus zlib's spare byte), or a palette
  // image's own RGB: nothing else lives in such a buffer.
  if (
    buffer instanceof ArrayBuffer && data.byteOffset === 0 &&
    buffer.byteLength <= data.byteLength + height + 1
  ) {
    buffer.transfer(0);
  }
}

function namedInLetters(bytes: Uint8Array, at: number): boolean {
  for (let i = at; i < at + 4; i++) {
    const letter = bytes[i] | 0x20; // lower case
    if (letter < 0x61 || letter > 0x7a) return false;
  }
  return true;
}

function crcMatches(bytes: Uint8Array, view: DataView, offset: number, length: number): boolean {
  const stored = view.getUint32(offset + 8 + length);
  return crc32(bytes.subarray(offset + 4, offset + 8 + length)) === stored;
}

/** Whether this machine stores the first byte of a word in its low bits. */
const LITTLE_ENDIAN = new Uint8Array(Uint32Array.of(1).buffer)[0] === 1;

/**
 * Undoes PNG's per-row filters (`raw` is each row's filter byte then `stride` bytes) in place:
 * row y's pixels go to `y * stride`, just before its filtered bytes (which start `y + 1` bytes
 * later), so each byte is read before it is overwritten and the row above is intact when a row
 * reads it. Returns the pixels, a view of `raw`'s first `stride * height` bytes; null for an
 * unknown filter type. Byte arithmetic wraps by the Uint8Array stores.
 *
 * In place: no second buffer of the picture's size to zero and fill per request (627 KB for
 * the 560x280 number pad in RGBA); decode and luma pass 0.84-0.89x (docs/performance.md).
 */
export function unfilter(
  raw: Uint8Array,
  stride: number,
  height: number,
  bpp: number,
): Uint8Array | null {
  const out = new Uint8Array(raw.buffer, raw.byteOffset, stride * height);
  // Sub and Up, the filters of plain drawings, four bytes at a time where pixels fit words.
  const words = LITTLE_ENDIAN && stride % 4 === 0 && bpp !== 3 && raw.byteOffset % 4 === 0
    ? new Int32Array(raw.buffer, raw.byteOffset, (stride * height) >> 2)
    : null;
  const view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
  for (let y = 0; y < height; y++) {
    const from = y * (stride + 1) + 1;
    const to = y * stride;
    const up = to - stride; // the row above; as if zero on the first row
    const filter = raw[from - 1];
    if (words !== null && filter === 1) {
      subWords(view, from, words, to >> 2, stride >> 2, bpp);
      continue;
    }
    if (words !== null && filter === 2 && y > 0) {
      upWords(view, from, words, to >> 2, stride >> 2);
      continue;
    }
    if (words !== null && bpp === 4 && y > 0 && (filter === 3 || filter === 4)) {
      if (filter === 3) averageWords(view, from, words, to >> 2, stride >> 2);
      else paethWords(view, from, words, to >> 2, stride >> 2);
      continue;
    }
    switch (filter) {
      case 0: // None
        raw.copyWithin(to, from, from + stride);
        break;
      case 1: // Sub: add the byte one pixel to the left
        for (let i = 0; i < bpp; i++) out[to + i] = raw[from + i];
        for (let i = bpp; i < stride; i++) out[to + i] = raw[from + i] + out[to + i - bpp];
        break;
      case 2: // Up: add the byte above
        if (y === 0) raw.copyWithin(to, from, from + stride);
        else for (let i = 0; i < stride; i++) out[to + i] = raw[from + i] + out[up + i];
        break;
      case 3: // Average of left and above
        for (let i = 0; i < stride; i++) {
          const left = i < bpp ? 0 : out[to + i - bpp];
          const above = y === 0 ? 0 : out[up + i];
          out[to + i] = raw[from + i] + ((left + above) >> 1);
        }
        break;
      case 4: // Paeth: whichever of left, above and above-left is nearest left + above - above-left
        for (let i = 0; i < stride; i++) {
          const a = i < bpp ? 0 : out[to + i - bpp];
          const b = y === 0 ? 0 : out[up + i];
          const c = i < bpp || y === 0 ? 0 : out[up + i - bpp];
          const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
          out[to + i] = raw[from + i] + (pa <= pb && pa <= pc ? a : pb <= pc ? b : c);
        }
        break;
      default:
        return null;
    }
  }
  return out;
}

const LOW_SEVEN = 0x7f7f7f7f;
const HIGH_BIT = 0x80808080 | 0;

/** The four bytes of `x` and `y` added lane by lane, each wrapping at 256 (no carries). */
function addLanes(x: number, y: number): number {
  return (((x & LOW_SEVEN) + (y & LOW_SEVEN)) | 0) ^ ((x ^ y) & HIGH_BIT);
}

/**
 * A Sub row, a word at a time: prefix sums of each word's pixels by shifted lane additions,
 * plus the last pixel of the word before.
 */
function subWords(
  raw: DataView,
  from: number,
  out: Int32Array,
  to: number,
  count: number,
  bpp: number,
): void {
  let previous = 0;
  for (let k = 0; k < count; k++, from += 4) {
    // The pixel left of this word, repeated across a word.
    const left = bpp === 4
      ? previous
      : bpp === 2
      ? Math.imul(previous >>> 16, 0x00010001)
      : Math.imul(previous >>> 24, 0x01010101);
    let word = raw.getInt32(from, true);
    if (word === 0) {
      word = left; // a run of one colour: nothing to add
    } else {
      if (bpp === 1) word = addLanes(word, word << 8);
      if (bpp <= 2) word = addLanes(word, word << 16);
      word = addLanes(word, left);
    }
    out[to + k] = word;
    previous = word;
  }
}

/** An Average row of RGBA (not the first), a pixel at a time: floor((left + above) / 2). */
function averageWords(
  raw: DataView,
  from: number,
  out: Int32Array,
  to: number,
  count: number,
): void {
  let left = 0;
  for (let k = 0; k < count; k++, from += 4) {
    const above = out[to - count + k];
    // Lane-wise floor of the mean: the shared bits plus half the differing ones.
    const mean = ((left & above) + (((left ^ above) & 0xfefefefe) >>> 1)) | 0;
    const word = addLanes(raw.getInt32(from, true), mean);
    out[to + k] = word;
    left = word;
  }
}

/**
 * A Paeth row of RGBA (not the first), a pixel at a time. Where left, above and above-left
 * are the same pixel (flat paper) that pixel is the prediction; elsewhere each byte's.
 */
function paethWords(raw: DataView, from: number, out: Int32Array, to: number, count: number) {
  let left = 0, aboveLeft = 0;
  for (let k = 0; k < count; k++, from += 4) {
    const above = out[to - count + k];
    let predicted = left;
    if (left !== above || above !== aboveLeft) {
      predicted = 0;
      for (let shift = 0; shift < 32; shift += 8) {
        const a = (left >>> shift) & 0xff;
        const b = (above >>> shift) & 0xff;
        const c = (aboveLeft >>> shift) & 0xff;
        const pa = Math.abs(b - c), pb = Math.abs(a - c), pc = Math.abs(a + b - 2 * c);
        predicted |= (pa <= pb && pa <= pc ? a : pb <= pc ? b : c) << shift;
      }
    }
    const word = addLanes(raw.getInt32(from, true), predicted);
    out[to + k] = word;
    left = word;
    aboveLeft = above;
  }
}

/** An Up row (not the first), a word at a time. */
function upWords(raw: DataView, from: number, out: Int32Array, to: number, count: number): void {
  for (let k = 0; k < count; k++, from += 4) {
    out[to + k] = addLanes(raw.getInt32(from, true), out[to - count + k]);
  }
}

/** Palette indices to RGB; null when an index is past the palette's end. */
function expandPalette(indices: Uint8Array, palette: Uint8Array): Uint8Array | null {
  const entries = palette.length / 3;
  const rgb = new Uint8Array(indices.length * 3);
  for (let i = 0, p = 0; i < indices.length; i++, p += 3) {
    const index = indices[i];
    if (index >= entries) return null;
    const e = index * 3;
    rgb[p] = palette[e];
    rgb[p + 1] = palette[e + 1];
    rgb[p + 2] = palette[e + 2];
  }
  return rgb;
}
