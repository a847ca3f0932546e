import { deepStrictEqual } from "node:assert/strict";
import { thrownBy } from "../tests/helpers/thrown_by.ts";
import { DigitlabError } from "../lib/errors.ts";
import { readImageHeader, sniffImageFormat } from "./image_header.ts";
import { encodePng } from "../tests/helpers/png_encode.ts";

const codeOf = (fn: () => unknown) => thrownBy(fn, DigitlabError).code;

/** A JPEG's markers up to SOF0 (the header reader stops there; no scan data needed). */
function jpegHeader(width: number, height: number, withApp0 = true): Uint8Array {
  const app0 = [0xff, 0xe0, 0x00, 0x10, 0x4a, 0x46, 0x49, 0x46, 0, 1, 1, 0, 0, 1, 0, 1, 0, 0];
  const sof0 = [0xff, 0xc0, 0x00, 0x0b, 8, height >> 8, height & 255, width >> 8, width & 255, 1];
  return new Uint8Array([0xff, 0xd8, ...(withApp0 ? app0 : []), ...sof0, 1, 0x11, 0]);
}

Deno.test("sniffImageFormat knows PNG and JPEG by their magic bytes only", async () => {
  deepStrictEqual(sniffImageFormat(await encodePng(new Uint8Array(4), 2, 2, "grey")), "png");
  deepStrictEqual(sniffImageFormat(jpegHeader(3, 3)), "jpeg");
  deepStrictEqual(sniffImageFormat(new TextEncoder().encode("GIF89a......")), null);
  deepStrictEqual(sniffImageFormat(new Uint8Array(0)), null);
});

Deno.test("readImageHeader reads PNG dimensions from IHDR", async () => {
  const png = await encodePng(new Uint8Array(5 * 3), 5, 3, "grey");
  deepStrictEqual(readImageHeader(png), { format: "png", width: 5, height: 3 });
});

Deno.test("readImageHeader walks JPEG segments to the frame header", () => {
  deepStrictEqual(readImageHeader(jpegHeader(640, 480)), {
    format: "jpeg",
    width: 640,
    height: 480,
  });
  deepStrictEqual(readImageHeader(jpegHeader(7, 9, false)), {
    format: "jpeg",
    width: 7,
    height: 9,
  });
});

Deno.test("readImageHeader refuses dimensions over the limit before decoding", async () => {
  // A header declaring 5000x5000 is enough: the refusal must not need the pixels.
  const png = await encodePng(new Uint8Array(4), 2, 2, "grey");
  new DataView(png.buffer).setUint32(16, 5000);
  new DataView(png.buffer).setUint32(20, 5000);
  deepStrictEqual(codeOf(() => readImageHeader(png)), "image_too_large");
  deepStrictEqual(codeOf(() => readImageHeader(jpegHeader(4097, 10))), "image_too_large");
  deepStrictEqual(readImageHeader(jpegHeader(4096, 4096)).width, 4096);
  deepStrictEqual(codeOf(() => readImageHeader(jpegHeader(100, 10), 64)), "image_too_large");
});

Deno.test("readImageHeader calls cut or malformed headers undecodable", async () => {
  const png = await encodePng(new Uint8Array(4), 2, 2, "grey");
  deepStrictEqual(codeOf(() => readImageHeader(png.subarray(0, 20))), "undecodable_image");
  const renamed = png.slice();
  renamed[12] = 0x58; // chunk type no longer IHDR
  deepStrictEqual(codeOf(() => readImageHeader(renamed)), "undecodable_image");
  deepStrictEqual(
    codeOf(() => readImageHeader(jpegHeader(10, 10).subarray(0, 12))),
    "undecodable_image",
  );
  deepStrictEqual(codeOf(() => readImageHeader(jpegHeader(0, 10))), "undecodable_image");
  const noFrame = new Uint8Array([0xff, 0xd8, 0xff, 0xda, 0x00, 0x02, 0xff, 0xd9]);
  deepStrictEqual(codeOf(() => readImageHeader(noFrame)), "undecodable_image");
});

Deno.test("readImageHeader calls anything else an unsupported media type", () => {
  deepStrictEqual(
    codeOf(() => readImageHeader(new TextEncoder().encode("hello"))),
    "unsupported_media_type",
  );
  deepStrictEqual(codeOf(() => readImageHeader(new Uint8Array(0))), "unsupported_media_type");
});
