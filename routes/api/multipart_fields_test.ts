import assert, { deepStrictEqual } from "node:assert/strict";
import { DigitlabError } from "../../lib/errors.ts";
import { formParts, multipartBoundary } from "./multipart_fields.ts";

/** A body and content type exactly as fetch's FormData encoding makes them. */
async function encoded(form: FormData) {
  const response = new Response(form);
  const type = response.headers.get("content-type")!;
  return { type, body: new Uint8Array(await response.arrayBuffer()) };
}

const bytes = (n: number, seed = 1) => Uint8Array.from({ length: n }, (_, i) => (i * seed) % 256);

Deno.test("formParts finds the named parts of a browser-encoded form, byte for byte", async () => {
  const png = bytes(3000, 7);
  // CRLF and dashes inside the file must not confuse it.
  png.set(new TextEncoder().encode("\r\n--not-the-boundary\r\n\r\n"), 100);
  const form = new FormData();
  form.append("note", "hello");
  form.append("img", new Blob([png], { type: "image/png" }), "image.png");
  form.append("empty", new Blob([]), "empty.bin");
  const { type, body } = await encoded(form);
  const parts = formParts(body, multipartBoundary(type), "img");
  deepStrictEqual(parts.length, 1);
  assert(parts[0].isFile, "a file");
  deepStrictEqual(Array.from(parts[0].bytes), Array.from(png));
  deepStrictEqual(formParts(body, multipartBoundary(type), "note")[0].isFile, false);
  deepStrictEqual(formParts(body, multipartBoundary(type), "empty")[0].bytes.length, 0);
  deepStrictEqual(formParts(body, multipartBoundary(type), "absent"), []);
});

Deno.test("formParts reads what Python's requests sends (quoted boundary, preamble)", () => {
  const boundary = "9f2d3c4b5a69";
  const text = `preamble\r\n--${boundary}\r\n` +
    `Content-Disposition: form-data; name="img"; filename="image.png"\r\n` +
    `Content-Type: image/png\r\n\r\nPNGDATA\r\n--${boundary}--\r\n`;
  const body = new TextEncoder().encode(text);
  const parts = formParts(
    body,
    multipartBoundary(`multipart/form-data; boundary="${boundary}"`),
    "img",
  );
  deepStrictEqual(new TextDecoder().decode(parts[0].bytes), "PNGDATA");
  // Two parts with the name: both returned (the route refuses them).
  const twice = `--b\r\nContent-Disposition: form-data; name=img; filename=a\r\n\r\nA\r\n` +
    `--b\r\nContent-Disposition: form-data; name="img"; filename="b"\r\n\r\nB\r\n--b--`;
  deepStrictEqual(formParts(new TextEncoder().encode(twice), "b", "img").length, 2);
});

Deno.test("formParts refuses broken bodies as malformed_multipart", () => {
  const refuses = (text: string, boundary = "b") => {
    try {
      formParts(new TextEncoder().encode(text), boundary, "img");
    } catch (error) {
      assert(error instanceof DigitlabError && error.code === "malformed_multipart", `${error}`);
      return;
    }
    throw new Error(`accepted ${JSON.stringify(text)}`);
  };
  refuses("");
  refuses("no boundary at all");
  refuses("--b\r\nContent-Disposition: form-data; name=img\r\n\r\nunterminated");
  refuses("--b\r\nContent-Disposition: form-data; name=img\r\nno blank line");
  refuses("--bjunk\r\nContent-Disposition: form-data; name=img\r\n\r\nA\r\n--b--");
  refuses("--b\r\nContent-Type: image/png\r\n\r\nA\r\n--b--"); // no disposition
  for (const type of ["multipart/form-data", "multipart/form-data; boundary=", 'x; boundary=""']) {
    try {
      multipartBoundary(type);
      throw new Error(`accepted ${type}`);
    } catch (error) {
      assert(error instanceof DigitlabError, `${type}: ${error}`);
    }
  }
});
