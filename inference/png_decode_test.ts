import pngCodec from "imagescript/wasm/node/png.js";
import { crc32, deflateSync } from "node:zlib";
import assert, { deepStrictEqual } from "node:assert/strict";
import type { PixelImage } from "../lib/ink_map.ts";
import { seededRandom } from "../tests/helpers/bad_inputs.ts";
import { chunk, concat } from "../tests/helpers/png_encode.ts";
import { decodeImage } from "./image_decode.ts";
import { decodePngFast, releasePixels } from "./png_decode.ts";

/** imagescript's decoder, the reference: RGBA for every PNG. */
const reference = await (pngCodec as unknown as {
  init(): Promise<{ decode(bytes: Uint8Array): { framebuffer: Uint8Array } }>;
}).init();

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };

interface Options {
  /** Filter type per row (0-4); random when absent. */
  filters?: number[];
  /** Split IDAT into chunks of this many bytes. */
  idatSize?: number;
  /** Chunks (type, data) to put before the first IDAT. */
  before?: [string, Uint8Array][];
  depth?: number;
  interlace?: number;
}

/** A PNG of `pixels` (raw samples of `colourType`), each row filtered as the options say. */
function png(
  pixels: Uint8Array,
  width: number,
  height: number,
  colourType: number,
  random: () => number,
  options: Options = {},
): Uint8Array {
  const bpp = CHANNELS[colourType];
  const stride = width * bpp;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const filter = options.filters?.[y] ?? Math.floor(random() * 5);
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const at = (dy: number, di: number) =>
        y + dy < 0 || i + di < 0 ? 0 : pixels[(y + dy) * stride + i + di];
      const a = at(0, -bpp), b = at(-1, 0), c = at(-1, -bpp);
      const predictor = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      raw[y * (stride + 1) + 1 + i] = pixels[y * stride + i] - predictor;
    }
  }
  const header = new Uint8Array(13);
  new DataView(header.buffer).setUint32(0, width);
  new DataView(header.buffer).setUint32(4, height);
  header.set([options.depth ?? 8, colourType, 0, 0, options.interlace ?? 0], 8);
  const zlib = deflateSync(raw);
  const idat: Uint8Array[] = [];
  const size = options.idatSize ?? zlib.length;
  for (let at = 0; at < zlib.length; at += size) {
    idat.push(chunk("IDAT", zlib.subarray(at, at + size)));
  }
  return concat([
    new Uint8Array([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    ...(options.before ?? []).map(([type, data]) => chunk(type, data)),
    ...idat,
    chunk("IEND", new Uint8Array(0)),
  ]);
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** RGBA as imagescript gives it, from the fast path's channels. */
function toRgba({ width, height, channels = 4, data }: PixelImage): Uint8Array {
  const out = new Uint8Array(width * height * 4);
  for (let i = 0; i < width * height; i++) {
    const p = i * channels;
    const [r, g, b] = channels <= 2
      ? [data[p], data[p], data[p]]
      : [data[p], data[p + 1], data[p + 2]];
    const a = channels === 2 ? data[p + 1] : channels === 4 ? data[p + 3] : 255;
    out.set([r, g, b, a], i * 4);
  }
  return out;
}

function randomBytes(length: number, random: () => number, levels = 256): Uint8Array {
  // Few levels give runs and repeats, as drawings have; 256 gives noise.
  return Uint8Array.from(
    { length },
    () => Math.floor(random() * levels) * Math.floor(255 / (levels - 1)),
  );
}

Deno.test("decodePngFast gives imagescript's pixels for every colour type, size and filter", () => {
  const random = seededRandom(11);
  const sizes = [[1, 1], [1, 7], [9, 1], [28, 28], [37, 53], [280, 31]];
  for (const colourType of [0, 2, 3, 4, 6]) {
    for (const [width, height] of sizes) {
      for (const levels of [2, 5, 256]) {
        const channels = CHANNELS[colourType];
        const palette = randomBytes(3 * 40, random);
        const pixels = colourType === 3
          ? Uint8Array.from({ length: width * height }, () => Math.floor(random() * 40))
          : randomBytes(width * height * channels, random, levels);
        const file = png(pixels, width, height, colourType, random, {
          before: colourType === 3 ? [["PLTE", palette]] : [["tEXt", new Uint8Array([65, 0, 66])]],
          idatSize: 1 + Math.floor(random() * 200),
        });
        const fast = decodePngFast(file);
        const what = `colour type ${colourType}, ${width}x${height}, ${levels} levels`;
        assert(fast !== null, `${what}: not decoded`);
        deepStrictEqual([fast.width, fast.height], [width, height]);
        const expected = reference.decode(file).framebuffer;
        assert(toRgba(fast).every((v, i) => v === expected[i]), `${what}: pixels differ`);
      }
    }
  }
});

Deno.test("decodePngFast unfilters each of the five filter types", () => {
  const random = seededRandom(5);
  for (const colourType of [0, 2, 4, 6]) {
    for (let filter = 0; filter <= 4; filter++) {
      const pixels = randomBytes(16 * 6 * CHANNELS[colourType], random);
      const file = png(pixels, 16, 6, colourType, random, { filters: Array(6).fill(filter) });
      const fast = decodePngFast(file);
      assert(fast !== null && fast.data.every((v, i) => v === pixels[i]), `filter ${filter}`);
    }
  }
});

Deno.test("releasePixels frees a picture's own buffer and never a pool shared with others", () => {
  const random = seededRandom(9);
  const bigPixels = randomBytes(300 * 200 * 4, random);
  const big = decodePngFast(png(bigPixels, 300, 200, 6, random))!;
  releasePixels(big);
  deepStrictEqual(big.data.byteLength, 0, "the big picture's buffer is handed back");
  // Tiny inflates are slices of one pool: the first slice of a pool starts at its offset 0 like
  // a buffer of its own, and releasing it must leave the next slice whole.
  const tinyPixels = randomBytes(3 * 2, random);
  const tinyPng = png(tinyPixels, 3, 2, 0, random);
  let first = decodePngFast(tinyPng)!;
  for (let i = 0; i < 1000 && first.data.byteOffset !== 0; i++) first = decodePngFast(tinyPng)!;
  const next = decodePngFast(tinyPng)!;
  assert(first.data.byteOffset === 0 && next.data.buffer === first.data.buffer, "one pool");
  releasePixels(first);
  deepStrictEqual(Array.from(next.data), Array.from(tinyPixels), "the next picture is intact");
});

Deno.test("decodePngFast leaves every unusual or broken PNG to the general decoder", async () => {
  const random = seededRandom(3);
  const grey = randomBytes(20 * 20, random, 4);
  const good = png(grey, 20, 20, 0, random);
  assert(decodePngFast(good) !== null, "the good file should decode");
  const view = (bytes: Uint8Array) => new DataView(bytes.buffer, bytes.byteOffset);
  const idatAt = 33;
  const idatLength = view(good).getUint32(idatAt);
  const altered = (change: (copy: Uint8Array) => void) => {
    const copy = good.slice();
    change(copy);
    return copy;
  };
  const zlib = deflateSync(new Uint8Array(21 * 20));
  const cases: Record<string, Uint8Array> = {
    "transparency (tRNS)": png(grey, 20, 20, 0, random, {
      before: [["tRNS", new Uint8Array([0, 3])]],
    }),
    "16-bit samples": png(new Uint8Array(20 * 20 * 2), 20, 20, 0, random, { depth: 16 }),
    "interlaced": png(grey, 20, 20, 0, random, { interlace: 1 }),
    "an unknown critical chunk": png(grey, 20, 20, 0, random, { before: [["ABCD", grey]] }),
    "palette without PLTE": png(new Uint8Array(20 * 20), 20, 20, 3, random),
    "palette index past the end": png(new Uint8Array(20 * 20).fill(2), 20, 20, 3, random, {
      before: [["PLTE", new Uint8Array(6)]],
    }),
    "IHDR CRC wrong": altered((copy) => copy[29] ^= 1),
    "IDAT CRC wrong": altered((copy) => copy[idatAt + 8 + idatLength] ^= 1),
    "IDAT corrupt (CRC fixed)": altered((copy) => {
      copy[idatAt + 10] ^= 0x55;
      view(copy).setUint32(
        idatAt + 8 + idatLength,
        crc32(copy.subarray(idatAt + 4, idatAt + 8 + idatLength)),
      );
    }),
    "no IEND": good.subarray(0, good.length - 12),
    "truncated": good.subarray(0, good.length - 30),
    "bytes after the zlib stream": concat([
      good.subarray(0, 33),
      chunk("IDAT", concat([deflateSync(new Uint8Array(21 * 20)), new Uint8Array([1, 2])])),
      chunk("IEND", new Uint8Array(0)),
    ]),
    "rows too short": concat([
      good.subarray(0, 33),
      chunk("IDAT", deflateSync(new Uint8Array(21 * 19))),
      chunk("IEND", new Uint8Array(0)),
    ]),
    "rows too long": concat([
      good.subarray(0, 33),
      chunk("IDAT", deflateSync(new Uint8Array(21 * 21))),
      chunk("IEND", new Uint8Array(0)),
    ]),
    "filter type 5": concat([
      good.subarray(0, 33),
      chunk("IDAT", deflateSync(new Uint8Array(21 * 20).fill(5))),
      chunk("IEND", new Uint8Array(0)),
    ]),
    "text after the image data": concat([
      good.subarray(0, good.length - 12),
      chunk("tEXt", new Uint8Array([65, 0, 66])),
      chunk("IEND", new Uint8Array(0)),
    ]),
    "a chunk type not in letters": png(grey, 20, 20, 0, random, {
      before: [["a1b2", new Uint8Array(1)]],
    }),
    "IEND with data": concat([
      good.subarray(0, good.length - 12),
      chunk("IEND", new Uint8Array(2)),
    ]),
    "an empty IDAT": concat([
      good.subarray(0, 33),
      chunk("IDAT", new Uint8Array(0)),
      good.subarray(33),
    ]),
    "IDAT chunks apart": concat([
      good.subarray(0, 33),
      chunk("IDAT", zlib.subarray(0, 5)),
      chunk("tEXt", new Uint8Array([65, 0, 66])),
      chunk("IDAT", zlib.subarray(5)),
      chunk("IEND", new Uint8Array(0)),
    ]),
  };
  for (const [name, file] of Object.entries(cases)) {
    deepStrictEqual(decodePngFast(file), null, name);
    // decodeImage then answers as imagescript does: the same pixels, or undecodable_image.
    let expected: string;
    try {
      expected = Array.from(reference.decode(file).framebuffer).join();
    } catch {
      expected = "undecodable_image";
    }
    let actual: string;
    try {
      actual = Array.from(toRgba((await decodeImage(file)).image)).join();
    } catch (error) {
      actual = (error as { code?: string }).code ?? String(error);
    }
    deepStrictEqual(actual, expected, name);
  }
});

Deno.test("decodePngFast reads the bench payloads as imagescript does", async () => {
  for (const side of [28, 280]) {
    const file = await Deno.readFile(
      new URL(`../bench/payloads/digit-${side}.png`, import.meta.url),
    );
    const fast = decodePngFast(file);
    assert(fast !== null && fast.channels === 1, `digit-${side}.png took the slow path`);
    deepStrictEqual(
      Array.from(toRgba(fast)).join(),
      Array.from(reference.decode(file).framebuffer).join(),
    );
  }
});
