/**
 * Lingering close on a real process with the release permissions: a client that sends a
 * whole 20 MB multipart upload before reading a byte (as Python `requests` does) reads the 413
 * JSON, instead of hanging in a full socket buffer or getting "connection reset by peer".
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { KeepAliveSession } from "./helpers/keep_alive_client.ts";
import { startServerProcess } from "./helpers/server_process.ts";
import { writeTestModels } from "./helpers/test_models.ts";

const modelsDir = await writeTestModels(["cnn-aug"]);
globalThis.addEventListener("unload", () => Deno.removeSync(modelsDir, { recursive: true }));

const encoder = new TextEncoder();

function multipart(fileBytes: number): { body: Uint8Array; type: string } {
  const boundary = "digitlab-linger-test";
  const head = encoder.encode(
    `--${boundary}\r\nContent-Disposition: form-data; name="image"; filename="big.png"\r\n` +
      "Content-Type: image/png\r\n\r\n",
  );
  const tail = encoder.encode(`\r\n--${boundary}--\r\n`);
  const body = new Uint8Array(head.length + fileBytes + tail.length);
  body.set(head);
  body.set(tail, head.length + fileBytes);
  return { body, type: `multipart/form-data; boundary=${boundary}` };
}

Deno.test("a 20 MB multipart body sent whole before reading gets the 413 JSON", async () => {
  const server = await startServerProcess({ args: ["--models", modelsDir] });
  try {
    const port = Number(new URL(server.url).port);
    const { body, type } = multipart(20 * 1024 * 1024);
    for (let attempt = 0; attempt < 3; attempt++) {
      const session = new KeepAliveSession({ port, timeoutMs: 20_000 });
      const outcome = await session.request("POST", "/predict", { "Content-Type": type }, body);
      session.close();
      assert(outcome.kind === "answered", `${JSON.stringify(outcome)}\n${server.output()}`);
      deepStrictEqual(outcome.status, 413);
      deepStrictEqual(
        JSON.parse(new TextDecoder().decode(outcome.body)).error,
        "payload_too_large",
      );
      deepStrictEqual(outcome.headers.get("connection"), "close"); // one header, the runtime's
    }
    // And the server answers ordinary requests as before.
    const health = await new KeepAliveSession({ port }).request("GET", "/health");
    assert(health.kind === "answered" && health.status === 200, JSON.stringify(health));
  } finally {
    await server.stop();
  }
});
