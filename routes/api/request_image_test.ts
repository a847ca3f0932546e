import { deepStrictEqual } from "node:assert/strict";
import { thrownBy } from "../../tests/helpers/thrown_by.ts";
import { DigitlabError } from "../../lib/errors.ts";
import { decodeBase64Image, readImageUpload } from "./request_image.ts";

const bytes = new Uint8Array([0x89, 0x50, 0x4e, 0x47, 1, 2, 3, 250]);
const b64 = btoa(String.fromCharCode(...bytes));

const codeOf = (fn: () => unknown) => thrownBy(fn, DigitlabError).code;

Deno.test("decodeBase64Image reads base64, URL-safe base64, data URLs and line breaks", () => {
  deepStrictEqual(Array.from(decodeBase64Image(b64)), Array.from(bytes));
  deepStrictEqual(Array.from(decodeBase64Image(b64.replace(/=+$/, ""))), Array.from(bytes));
  const urlSafe = b64.replace(/\+/g, "-").replace(/\//g, "_");
  deepStrictEqual(Array.from(decodeBase64Image(urlSafe)), Array.from(bytes));
  deepStrictEqual(Array.from(decodeBase64Image(`data:image/png;base64,${b64}`)), Array.from(bytes));
  deepStrictEqual(
    Array.from(decodeBase64Image(`${b64.slice(0, 4)}\n${b64.slice(4)}`)),
    Array.from(bytes),
  );
});

Deno.test("decodeBase64Image refuses what is not base64", () => {
  for (const text of ["***", "abcde", "data:image/png,abc", "data:image/png;base64", "a=b="]) {
    deepStrictEqual(codeOf(() => decodeBase64Image(text)), "bad_base64", text);
  }
});

Deno.test("readImageUpload takes raw bodies whatever image type they declare", async () => {
  for (const type of ["image/png", "image/jpeg", "application/octet-stream", ""]) {
    const request = new Request("http://x/predict", {
      method: "POST",
      body: bytes,
      headers: type ? { "Content-Type": type } : {},
    });
    deepStrictEqual(Array.from(await readImageUpload(request)), Array.from(bytes), type);
  }
});
