import assert, { deepStrictEqual } from "node:assert/strict";
import { DigitlabError } from "../lib/errors.ts";
import { mnistField } from "../lib/preprocess.ts";
import { decodeImage } from "./image_decode.ts";
import { encodePng } from "../tests/helpers/png_encode.ts";

const fixture = (name: string) =>
  Deno.readFile(new URL(`../tests/fixtures/${name}`, import.meta.url));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    assert(error instanceof DigitlabError, `expected a DigitlabError, got ${error}`);
    return error.code;
  }
  throw new Error("expected an error");
}

Deno.test("decodeImage keeps a PNG's grey, grey+alpha or RGBA channels", async () => {
  const grey = await decodeImage(await encodePng(new Uint8Array([0, 255, 128, 7]), 2, 2, "grey"));
  deepStrictEqual(grey.header, { format: "png", width: 2, height: 2 });
  deepStrictEqual(grey.image.channels, 1);
  deepStrictEqual(Array.from(grey.image.data), [0, 255, 128, 7]);
  const alpha = await decodeImage(
    await encodePng(new Uint8Array([9, 0, 9, 200]), 2, 1, "grey-alpha"),
  );
  deepStrictEqual(alpha.image.channels, 2);
  deepStrictEqual(Array.from(alpha.image.data), [9, 0, 9, 200]);
  const rgba = await decodeImage(await encodePng(new Uint8Array([1, 2, 3, 4]), 1, 1, "rgba"));
  deepStrictEqual(rgba.image.channels, 4);
  deepStrictEqual(Array.from(rgba.image.data), [1, 2, 3, 4]);
});

Deno.test("decodeImage reads baseline, grey and progressive JPEGs", async () => {
  const fields: Float32Array[] = [];
  for (const name of ["seven-grey.jpg", "seven-colour.jpg", "seven-progressive.jpg"]) {
    const { header, image } = await decodeImage(await fixture(name));
    deepStrictEqual(header, { format: "jpeg", width: 200, height: 200 });
    deepStrictEqual(image.data.length, 200 * 200 * 4);
    fields.push(mnistField(image));
  }
  // All three are the same 7: after preprocessing they must agree closely.
  for (const field of fields.slice(1)) {
    const d = field.reduce((sum, v, i) => sum + Math.abs(v - fields[0][i]), 0) / field.length;
    assert(d < 0.02, `JPEG variants differ by ${d}`);
  }
});

Deno.test("decodeImage: truncated or corrupt files are undecodable, not crashes", async () => {
  const png = await encodePng(new Uint8Array(64 * 64).fill(200), 64, 64, "grey");
  deepStrictEqual(await codeOf(decodeImage(png.subarray(0, png.length - 20))), "undecodable_image");
  const flipped = png.slice();
  flipped[png.length - 30] ^= 0xff; // inside IDAT: the CRC or the zlib stream breaks
  deepStrictEqual(await codeOf(decodeImage(flipped)), "undecodable_image");
  const jpeg = await fixture("seven-colour.jpg");
  deepStrictEqual(await codeOf(decodeImage(jpeg.subarray(0, 400))), "undecodable_image");
});

Deno.test("decodeImage refuses a decompression bomb by its header", async () => {
  // 4100x4100 declared, but the file is tiny: refused without decoding a pixel.
  const bomb = await encodePng(new Uint8Array(4100 * 4100), 4100, 4100, "grey");
  assert(bomb.length < 100_000, `bomb is ${bomb.length} bytes`);
  deepStrictEqual(await codeOf(decodeImage(bomb)), "image_too_large");
});

Deno.test("decodeImage calls non-images unsupported", async () => {
  deepStrictEqual(
    await codeOf(decodeImage(new TextEncoder().encode("GIF89a"))),
    "unsupported_media_type",
  );
});

Deno.test("decodeImage shrinks a JPEG by DCT scaling past shrinkJpegTo; the digit reads the same", async () => {
  for (const name of ["seven-colour.jpg", "seven-grey.jpg", "seven-progressive.jpg"]) {
    const bytes = await fixture(name);
    const full = await decodeImage(bytes);
    const side = Math.max(full.header.width, full.header.height);
    const shrunk = await decodeImage(bytes, undefined, { shrinkJpegTo: Math.ceil(side / 4) });
    // Never the full size: the decoder stops at the quarter scale, in the JPEG's own channels.
    deepStrictEqual(shrunk.image.width, Math.ceil(full.header.width / 4), name);
    deepStrictEqual(shrunk.image.height, Math.ceil(full.header.height / 4), name);
    assert(shrunk.image.channels === 1 || shrunk.image.channels === 3, name);
    const [a, b] = [mnistField(full.image), mnistField(shrunk.image)];
    const ink = (field: Float32Array) => field.reduce((sum, value) => sum + value, 0);
    assert(Math.abs(ink(a) - ink(b)) < 0.1 * ink(a), `${name}: ink ${ink(a)} vs ${ink(b)}`);
    // A JPEG within the limit is decoded as before.
    deepStrictEqual(
      (await decodeImage(bytes, undefined, { shrinkJpegTo: side })).image,
      full.image,
    );
  }
});
