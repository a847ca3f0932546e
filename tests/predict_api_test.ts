/**
 * End-to-end tests of POST /predict over HTTP: every input form and every error status the
 * issue lists. Untrained models make the answers arbitrary but well-formed; accuracy is
 * tests/accuracy_test.ts's job.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import {
  assertPrediction,
  base64,
  BODY_LIMIT,
  canvasPng,
  jpeg,
  multipart,
  post,
  withServer,
} from "./helpers/api_fixture.ts";
import { encodePng } from "./helpers/png_encode.ts";

Deno.test("POST /predict accepts multipart, raw PNG/JPEG, base64 JSON and data URLs", async () => {
  await withServer(async (server) => {
    const forms: [string, () => Promise<{ status: number; body: Record<string, unknown> }>][] = [
      ["multipart img", () => post(server, multipart(canvasPng))],
      ["raw png", () => post(server, canvasPng, { "Content-Type": "image/png" })],
      ["raw jpeg", () => post(server, jpeg, { "Content-Type": "image/jpeg" })],
      [
        "octet-stream",
        () => post(server, canvasPng, { "Content-Type": "application/octet-stream" }),
      ],
      ["json base64", () =>
        post(server, JSON.stringify({ image: base64(canvasPng) }), {
          "Content-Type": "application/json",
        })],
      [
        "json data URL",
        () =>
          post(server, JSON.stringify({ image: `data:image/png;base64,${base64(canvasPng)}` }), {
            "Content-Type": "application/json; charset=utf-8",
          }),
      ],
    ];
    const results: number[][] = [];
    for (const [name, send] of forms) {
      const { status, body } = await send();
      deepStrictEqual(status, 200, `${name}: ${JSON.stringify(body)}`);
      assertPrediction(body, "cnn");
      if (name !== "raw jpeg") results.push(body.probabilities as number[]);
    }
    // The same PNG sent four ways gives the same answer.
    for (const r of results) deepStrictEqual(r, results[0]);
  });
});

Deno.test("POST /predict?model= picks the model; unknown models are 404", async () => {
  await withServer(async (server) => {
    const mlp = await post(server, canvasPng, { "Content-Type": "image/png" }, "?model=mlp");
    deepStrictEqual(mlp.status, 200);
    assertPrediction(mlp.body, "mlp");
    const unknown = await post(server, canvasPng, { "Content-Type": "image/png" }, "?model=nope");
    deepStrictEqual(unknown.status, 404);
    deepStrictEqual(unknown.body.error, "unknown_model");
    const traversal = await post(
      server,
      canvasPng,
      { "Content-Type": "image/png" },
      "?model=../models/mlp",
    );
    deepStrictEqual(traversal.status, 404);
  });
});

Deno.test("POST /predict: 400 for malformed multipart, missing fields, bad JSON or base64", async () => {
  await withServer(async (server) => {
    const cases: [string, BodyInit, HeadersInit, string][] = [
      ["garbage multipart", "not multipart at all", {
        "Content-Type": "multipart/form-data; boundary=xyz",
      }, "malformed_multipart"],
      ["multipart without boundary", "--x\r\n", {
        "Content-Type": "multipart/form-data",
      }, "malformed_multipart"],
      ["no img field", multipart(canvasPng, "image"), {}, "missing_field"],
      [
        "img as text",
        (() => {
          const form = new FormData();
          form.append("img", "hello");
          return form;
        })(),
        {},
        "missing_field",
      ],
      [
        "two img fields",
        (() => {
          const form = multipart(canvasPng);
          form.append("img", new Blob([canvasPng as BlobPart]), "second.png");
          return form;
        })(),
        {},
        "missing_field",
      ],
      ["empty raw body", new Uint8Array(0), { "Content-Type": "image/png" }, "missing_field"],
      ["bad json", "{image:", { "Content-Type": "application/json" }, "bad_json"],
      [
        "json without image",
        '{"img": "x"}',
        { "Content-Type": "application/json" },
        "missing_field",
      ],
      ["json null", "null", { "Content-Type": "application/json" }, "missing_field"],
      [
        "json image not a string",
        '{"image": 7}',
        { "Content-Type": "application/json" },
        "missing_field",
      ],
      ["bad base64", '{"image": "***"}', { "Content-Type": "application/json" }, "bad_base64"],
      ["data URL not base64", '{"image": "data:image/png,abc"}', {
        "Content-Type": "application/json",
      }, "bad_base64"],
    ];
    for (const [name, body, headers, code] of cases) {
      const response = await post(server, body, headers);
      deepStrictEqual(response.status, 400, `${name}: ${JSON.stringify(response.body)}`);
      deepStrictEqual(response.body.error, code, name);
      assert(typeof response.body.message === "string" && response.body.message.length > 5, name);
    }
  });
});

Deno.test("POST /predict: 413 for a body over the limit, declared or streamed", async () => {
  await withServer(async (server) => {
    const big = new Uint8Array(BODY_LIMIT + 1);
    big.set(canvasPng);
    const declared = await post(server, big, { "Content-Type": "image/png" });
    deepStrictEqual(declared.status, 413);
    deepStrictEqual(declared.body.error, "payload_too_large");
    // No Content-Length: the limit must hold while the body streams in.
    const stream = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 5; i++) controller.enqueue(new Uint8Array(BODY_LIMIT / 4));
        controller.close();
      },
    });
    const streamed = await post(server, stream, { "Content-Type": "image/png" });
    deepStrictEqual(streamed.status, 413);
    const form = await post(server, multipart(big));
    deepStrictEqual(form.status, 413);
  });
});

Deno.test("POST /predict: 415 for what is not a PNG or JPEG", async () => {
  await withServer(async (server) => {
    const text = new TextEncoder().encode("hello, I am a text file");
    const gif = new TextEncoder().encode("GIF89a\x01\x00\x01\x00\x00\x00\x00;");
    const cases: [string, BodyInit, HeadersInit][] = [
      ["text sent as png", text, { "Content-Type": "image/png" }],
      ["text in multipart", multipart(text, "img", "image/png"), {}],
      ["gif", gif, { "Content-Type": "image/gif" }],
      ["gif as png", gif, { "Content-Type": "image/png" }],
      ["text/plain body", "abc", { "Content-Type": "text/plain" }],
      ["base64 of text", JSON.stringify({ image: base64(text) }), {
        "Content-Type": "application/json",
      }],
    ];
    for (const [name, body, headers] of cases) {
      const response = await post(server, body, headers);
      deepStrictEqual(response.status, 415, `${name}: ${JSON.stringify(response.body)}`);
      deepStrictEqual(response.body.error, "unsupported_media_type", name);
    }
  });
});

Deno.test("POST /predict: 422 for truncated images, bombs and blank drawings", async () => {
  await withServer(async (server) => {
    const blank = await encodePng(new Uint8Array(280 * 280 * 4), 280, 280, "rgba");
    const white = await encodePng(new Uint8Array(100 * 100).fill(255), 100, 100, "grey");
    const bomb = await encodePng(new Uint8Array(5000 * 5000), 5000, 5000, "grey");
    assert(bomb.length < BODY_LIMIT, "the bomb must fit the body limit to reach the decoder");
    const cases: [string, Uint8Array, string][] = [
      ["truncated png", canvasPng.subarray(0, canvasPng.length / 2), "undecodable_image"],
      ["truncated jpeg", jpeg.subarray(0, 300), "undecodable_image"],
      ["png header only", canvasPng.subarray(0, 30), "undecodable_image"],
      ["blank canvas", blank, "no_digit_found"],
      ["white paper", white, "no_digit_found"],
      ["5000x5000 bomb", bomb, "image_too_large"],
    ];
    for (const [name, bytes, code] of cases) {
      const response = await post(server, multipart(bytes));
      deepStrictEqual(response.status, 422, `${name}: ${JSON.stringify(response.body)}`);
      deepStrictEqual(response.body.error, code, name);
    }
  });
});

Deno.test("GET /predict is 405 with Allow; unknown routes are JSON 404", async () => {
  await withServer(async (server) => {
    const get = await fetch(`${server.url}/predict`);
    deepStrictEqual(get.status, 405);
    deepStrictEqual(get.headers.get("allow"), "POST");
    deepStrictEqual((await get.json()).error, "method_not_allowed");
    const missing = await fetch(`${server.url}/no/such/route`);
    deepStrictEqual(missing.status, 404);
    deepStrictEqual((await missing.json()).error, "not_found");
  });
});
