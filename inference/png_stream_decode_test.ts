import { deflateSync } from "node:zlib";
import assert, { deepStrictEqual } from "node:assert/strict";
import { DigitlabError } from "../lib/errors.ts";
import { pngWith } from "../tests/helpers/png_encode.ts";
import { bigDigitPng } from "../tests/helpers/hostile_clients.ts";
import { decodeImage, initImageDecoders } from "./image_decode.ts";
import { decodePngDownscaled } from "./png_stream_decode.ts";

await initImageDecoders();

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a), pb = Math.abs(p - b), pc = Math.abs(p - c);
  return pa <= pb && pa <= pc ? a : pb <= pc ? b : c;
}

/** An 8-bit PNG of `pixels` whose rows use all five filter types in turn. */
function filteredPng(pixels: Uint8Array, width: number, height: number, channels: number) {
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    const filter = y % 5;
    raw[y * (stride + 1)] = filter;
    for (let i = 0; i < stride; i++) {
      const x = pixels[y * stride + i];
      const a = i >= channels ? pixels[y * stride + i - channels] : 0;
      const b = y > 0 ? pixels[(y - 1) * stride + i] : 0;
      const c = y > 0 && i >= channels ? pixels[(y - 1) * stride + i - channels] : 0;
      const predicted = [0, a, b, (a + b) >> 1, paeth(a, b, c)][filter];
      raw[y * (stride + 1) + 1 + i] = (x - predicted) & 255;
    }
  }
  const colourType = { 1: 0, 2: 4, 3: 2, 4: 6 }[channels]!;
  return pngWith(width, height, colourType, deflateSync(raw));
}

/** Area average by a whole factor, edge blocks averaging what they cover. */
function shrink(data: Uint8Array, width: number, height: number, channels: number, f: number) {
  const ow = Math.ceil(width / f), oh = Math.ceil(height / f);
  const out = new Uint8Array(ow * oh * channels);
  for (let oy = 0; oy < oh; oy++) {
    for (let ox = 0; ox < ow; ox++) {
      for (let c = 0; c < channels; c++) {
        let sum = 0, n = 0;
        for (let y = oy * f; y < Math.min(height, oy * f + f); y++) {
          for (let x = ox * f; x < Math.min(width, ox * f + f); x++) {
            sum += data[(y * width + x) * channels + c];
            n++;
          }
        }
        out[(oy * ow + ox) * channels + c] = Math.round(sum / n);
      }
    }
  }
  return out;
}

Deno.test("decodePngDownscaled: every filter type, the full decode area-averaged", async () => {
  for (const channels of [1, 2, 3, 4]) {
    const [width, height] = [301, 203];
    const pixels = new Uint8Array(width * height * channels);
    for (let i = 0; i < pixels.length; i++) pixels[i] = (i * 7919 + (i >> 5) * 31) % 251;
    const png = filteredPng(pixels, width, height, channels);
    const full = await decodeImage(png);
    const fullChannels = full.image.channels ?? 4;
    // The reference: the general decoder's pixels (in its channels), shrunk by 3.
    const small = await decodePngDownscaled(png, 101);
    assert(small, `channels ${channels}: not covered`);
    deepStrictEqual([small.width, small.height, small.channels], [101, 68, channels]);
    deepStrictEqual(fullChannels, channels, "the reference decoder kept the channels");
    deepStrictEqual(
      Array.from(small.data),
      Array.from(shrink(full.image.data as Uint8Array, width, height, channels, 3)),
    );
  }
});

Deno.test("decodePngDownscaled: a 4096x4096 16-bit RGBA PNG in O(width) memory", async () => {
  const png = bigDigitPng(4096, 16);
  const small = await decodePngDownscaled(png, 1024);
  assert(small, "16-bit RGBA is covered");
  deepStrictEqual([small.width, small.height, small.channels], [1024, 1024, 4]);
  // The bar: opaque inside (alpha 255), transparent outside.
  deepStrictEqual(small.data[(512 * 1024 + 512) * 4 + 3], 255);
  deepStrictEqual(small.data[(100 * 1024 + 100) * 4 + 3], 0);
});

Deno.test("decodePngDownscaled: the caller's pause runs before every slice of input, the result unchanged", async () => {
  const png = bigDigitPng(2048, 8);
  let pauses = 0;
  const paused = await decodePngDownscaled(png, 1024, () => (pauses++, Promise.resolve()));
  // The IDAT data goes in 1 KB slices (and one more pull ends the input).
  assert(pauses >= Math.ceil((png.length - 57) / 1024), `${pauses} pauses for ${png.length} bytes`);
  deepStrictEqual(paused, await decodePngDownscaled(png, 1024));
});

Deno.test("decodePngDownscaled: small images and palette PNGs are left to the full decode", async () => {
  deepStrictEqual(
    await decodePngDownscaled(filteredPng(new Uint8Array(40 * 40), 40, 40, 1), 64),
    null,
  );
});

Deno.test("decodePngDownscaled: truncated or corrupt data is undecodable_image", async () => {
  const png = bigDigitPng(2048, 8);
  const idatEnd = png.length - 12;
  const cut = png.slice(0, idatEnd - 40); // no IEND, IDAT cut short
  const error = await decodePngDownscaled(cut, 512).then(() => null, (e) => e);
  assert(error instanceof DigitlabError && error.code === "undecodable_image", `got ${error}`);
});
