/**
 * Big PNGs decoded downscaled while they inflate: rows come out of the zlib stream one at a
 * time, are unfiltered against the previous row only and added into area-averaged output rows
 * (a block of `factor` x `factor` source pixels per output pixel), so memory is O(width) plus
 * the small output, never O(width x height). A 4096x4096 16-bit RGBA image (128 MiB of pixels)
 * holds two rows of 32 KB and a 1024x1024 result.
 *
 * Covers 8- and 16-bit grey, grey+alpha, RGB and RGBA, not interlaced (16-bit samples keep
 * their high byte); anything else returns null and the caller decodes it in full.
 *
 * @module
 */
import { crc32 } from "node:zlib";
import { DigitlabError } from "../lib/errors.ts";
import type { PixelImage } from "../lib/ink_map.ts";

const CHANNELS: Record<number, 1 | 2 | 3 | 4> = { 0: 1, 2: 3, 4: 2, 6: 4 };
/** Compressed bytes fed to the inflater at once: at most ~1 MB of pixels out of each. */
const INPUT_SLICE = 1024;

const IDAT = 0x49444154, IEND = 0x49454e44, IHDR = 0x49484452;

const corrupt = () =>
  new DigitlabError("undecodable_image", "the PNG does not decode: it is truncated or corrupt");

/**
 * The image shrunk by the smallest whole factor that brings its longer side to `maxSide` or
 * under; null when it already fits or is of a kind this path does not cover. `pause`, when
 * given, is awaited before each slice of compressed input (~1 MB of pixels at most): where the
 * caller lets other work go first.
 */
export async function decodePngDownscaled(
  bytes: Uint8Array,
  maxSide: number,
  pause?: () => Promise<void>,
): Promise<PixelImage | null> {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (bytes.length < 33 || view.getUint32(8) !== 13 || view.getUint32(12) !== IHDR) return null;
  const width = view.getUint32(16), height = view.getUint32(20);
  const [depth, colourType, , , interlace] = bytes.subarray(24, 29);
  const channels = CHANNELS[colourType];
  if (!channels || (depth !== 8 && depth !== 16) || interlace !== 0) return null;
  const factor = Math.ceil(Math.max(width, height) / maxSide);
  if (factor <= 1) return null;

  const parts: Uint8Array[] = [];
  for (let offset = 33;;) {
    if (offset + 12 > bytes.length) throw corrupt();
    const length = view.getUint32(offset), type = view.getUint32(offset + 4);
    const end = offset + 12 + length;
    if (end > bytes.length) throw corrupt();
    if (type === IEND) break;
    if (type === IDAT) {
      if (crc32(bytes.subarray(offset + 4, end - 4)) !== view.getUint32(end - 4)) throw corrupt();
      parts.push(bytes.subarray(offset + 8, end - 4));
    } else if ((bytes[offset + 4] & 0x20) === 0) {
      return null; // a critical chunk (PLTE) this path does not know
    }
    offset = end;
  }
  if (parts.length === 0) throw corrupt();

  const sampleBytes = depth / 8;
  const bpp = channels * sampleBytes;
  const stride = width * bpp;
  const outWidth = Math.ceil(width / factor), outHeight = Math.ceil(height / factor);
  const out = new Uint8Array(outWidth * outHeight * channels);
  let row = new Uint8Array(stride), previous = new Uint8Array(stride);
  let filled = -1; // -1: the filter byte is next
  let filter = 0, y = 0;
  // Columns are summed down a block of rows first (a straight pass, no index lookups), then
  // across each block once per output row.
  const samplesPerRow = width * channels;
  const columns = new Uint32Array(samplesPerRow);
  const finishRow = () => {
    unfilterRow(filter, row, previous, bpp);
    // Add the row's samples (high bytes of 16-bit ones) into the output row's sums.
    if (sampleBytes === 1) {
      for (let i = 0; i < samplesPerRow; i++) columns[i] += row[i];
    } else {
      for (let i = 0; i < samplesPerRow; i++) columns[i] += row[i << 1];
    }
    y++;
    if (y % factor === 0 || y === height) {
      const blockHeight = y % factor === 0 ? factor : y % factor;
      const outRow = Math.ceil(y / factor) - 1;
      for (let ox = 0; ox < outWidth; ox++) {
        const first = ox * factor, blockWidth = Math.min(factor, width - first);
        const area = blockWidth * blockHeight;
        for (let c = 0; c < channels; c++) {
          let sum = 0;
          for (let k = 0; k < blockWidth; k++) sum += columns[(first + k) * channels + c];
          out[(outRow * outWidth + ox) * channels + c] = Math.round(sum / area);
        }
      }
      columns.fill(0);
    }
    [row, previous] = [previous, row];
  };

  // DecompressionStream("deflate") reads zlib (checks its Adler-32) and yields pieces as they
  // inflate. It inflates each input piece whole, and blank pixels deflate ~1000:1, so the
  // input goes in small slices, pulled only as the output is consumed.
  const slices = (function* () {
    for (const part of parts) {
      for (let at = 0; at < part.length; at += INPUT_SLICE) {
        yield part.subarray(at, at + INPUT_SLICE);
      }
    }
  })();
  const input = new ReadableStream<BufferSource>({
    async pull(controller) {
      await pause?.();
      const next = slices.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value.slice());
    },
  }, { highWaterMark: 0 });
  const stream = input.pipeThrough<Uint8Array>(new DecompressionStream("deflate"));
  try {
    for await (const piece of stream) {
      for (let at = 0; at < piece.length;) {
        if (y === height) throw corrupt(); // more data than the header's rows
        if (filled === -1) {
          filter = piece[at++];
          if (filter > 4) throw corrupt();
          filled = 0;
          continue;
        }
        const take = Math.min(stride - filled, piece.length - at);
        row.set(piece.subarray(at, at + take), filled);
        filled += take;
        at += take;
        if (filled === stride) {
          finishRow();
          filled = -1;
        }
      }
    }
  } catch (error) {
    if (error instanceof DigitlabError) throw error;
    throw corrupt(); // zlib's own complaint: truncated, bad checksum
  }
  if (y !== height || filled !== -1) throw corrupt();
  return { width: outWidth, height: outHeight, channels, data: out };
}

/** Undoes one row's PNG filter in place, given the previous (already unfiltered) row. */
function unfilterRow(filter: number, row: Uint8Array, up: Uint8Array, bpp: number): void {
  const n = row.length;
  switch (filter) {
    case 0:
      return;
    case 1:
      for (let i = bpp; i < n; i++) row[i] += row[i - bpp];
      return;
    case 2:
      for (let i = 0; i < n; i++) row[i] += up[i];
      return;
    case 3:
      for (let i = 0; i < n; i++) row[i] += ((i >= bpp ? row[i - bpp] : 0) + up[i]) >> 1;
      return;
    case 4:
      for (let i = 0; i < n; i++) {
        const a = i >= bpp ? row[i - bpp] : 0, b = up[i], c = i >= bpp ? up[i - bpp] : 0;
        const p = a + b - c;
        const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
        row[i] += pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
      }
      return;
  }
}
