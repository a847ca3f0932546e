/**
 * Compatibility with the tutorial's Python client: the exact bytes `requests.post(url,
 * files={"img": ("image.png", png_bytes, "image/png")})` puts on the wire for a 28x28 PNG,
 * sent over a raw TCP socket so nothing (fetch, FormData) normalises them on the way.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { DIGIT_STROKES, drawStrokes } from "./helpers/canvas.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { writeTestModels } from "./helpers/test_models.ts";
import { SHIPPED_MODELS, shippedModel, startTestServer } from "./helpers/test_server.ts";

// MNIST test image 0, a 7, as a 28x28 8-bit grey PNG: what the tutorial's client uploads.
// Kept beside the project (MNIST is never committed); a drawn 7 stands in where it is absent.
const DIGIT_28 = new URL("../../shared/bench/digit-28.png", import.meta.url);

async function sevenPng(): Promise<Uint8Array> {
  try {
    return await Deno.readFile(DIGIT_28);
  } catch {
    const { ink } = drawStrokes(DIGIT_STROKES["7"], { size: 28, penWidth: 2.5, box: [4, 4, 20] });
    return await encodePng(Uint8Array.from(ink, (v) => Math.round(v * 255)), 28, 28, "grey");
  }
}

/** Python requests' multipart body: a random 32-hex-digit boundary, CRLF line ends. */
function requestsMultipart(png: Uint8Array, boundary: string): Uint8Array {
  const encoder = new TextEncoder();
  const head = encoder.encode(
    `--${boundary}\r\n` +
      `Content-Disposition: form-data; name="img"; filename="image.png"\r\n` +
      `Content-Type: image/png\r\n\r\n`,
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + png.length + tail.length);
  body.set(head);
  body.set(png, head.length);
  body.set(tail, head.length + png.length);
  return body;
}

/** Sends raw bytes and reads one Content-Length framed HTTP/1.1 response. */
async function rawExchange(port: number, request: Uint8Array) {
  const connection = await Deno.connect({ hostname: "127.0.0.1", port });
  try {
    await connection.write(request);
    let received = new Uint8Array(0);
    const chunk = new Uint8Array(64 * 1024);
    for (;;) {
      const text = new TextDecoder().decode(received);
      const end = text.indexOf("\r\n\r\n");
      if (end >= 0) {
        const length = Number(/content-length: *(\d+)/i.exec(text.slice(0, end))?.[1]);
        if (received.length >= end + 4 + length) {
          return {
            head: text.slice(0, end),
            body: text.slice(end + 4, end + 4 + length),
          };
        }
      }
      const n = await connection.read(chunk);
      if (n === null) throw new Error(`connection closed after: ${text}`);
      const grown = new Uint8Array(received.length + n);
      grown.set(received);
      grown.set(chunk.subarray(0, n), received.length);
      received = grown;
    }
  } finally {
    connection.close();
  }
}

Deno.test("the tutorial's Python client gets result and probabilities, byte for byte", async () => {
  const png = await sevenPng();
  // With the shipped model the 7 must be read as a 7; without it, the shape is what we check.
  const shipped = await shippedModel("cnn-aug") || await shippedModel("mlp");
  const temp = shipped ? null : await writeTestModels(["mlp"]);
  const server = await startTestServer({ modelsDir: temp ?? SHIPPED_MODELS });
  try {
    const port = Number(new URL(server.url).port);
    const boundary = "9f2d3c4b5a6978877665544332211000";
    const body = requestsMultipart(png, boundary);
    const head = new TextEncoder().encode(
      `POST /predict HTTP/1.1\r\n` +
        `Host: 127.0.0.1:${port}\r\n` +
        `User-Agent: python-requests/2.31.0\r\n` +
        `Accept-Encoding: gzip, deflate\r\n` +
        `Accept: */*\r\n` +
        `Connection: keep-alive\r\n` +
        `Content-Length: ${body.length}\r\n` +
        `Content-Type: multipart/form-data; boundary=${boundary}\r\n\r\n`,
    );
    const request = new Uint8Array(head.length + body.length);
    request.set(head);
    request.set(body, head.length);
    const response = await rawExchange(port, request);
    assert(response.head.startsWith("HTTP/1.1 200"), response.head);
    assert(/content-type: application\/json/i.test(response.head), response.head);
    const json = JSON.parse(response.body);
    // The tutorial's client reads exactly these two keys.
    assert(Number.isInteger(json.result), `result ${json.result}`);
    deepStrictEqual(json.probabilities.length, 10);
    const sum = json.probabilities.reduce((a: number, b: number) => a + b, 0);
    assert(Math.abs(sum - 1) < 1e-4, `probabilities sum to ${sum}`);
    if (shipped) deepStrictEqual(json.result, 7, `the MNIST 7 was read as ${json.result}`);
  } finally {
    await server.close();
    if (temp) await Deno.remove(temp, { recursive: true });
  }
});
