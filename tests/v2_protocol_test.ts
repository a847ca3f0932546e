/**
 * Open Inference Protocol v2 over HTTP, with the protocol's exact JSON shapes, and /metrics.
 * Untrained test models: the answers are checked against the same session run directly.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { runBatch } from "../inference/onnx_runtime.ts";
import { writeTestModels } from "./helpers/test_models.ts";
import { startTestServer } from "./helpers/test_server.ts";

const modelsDir = await writeTestModels(["mlp", "cnn"]);
globalThis.addEventListener("unload", () => Deno.removeSync(modelsDir, { recursive: true }));

const server = await startTestServer({ modelsDir, preferred: "mlp", maxBodyBytes: 256 * 1024 });
globalThis.addEventListener("unload", () => server.close());

async function call(path: string, init?: RequestInit) {
  const response = await fetch(`${server.url}${path}`, init);
  return {
    status: response.status,
    type: response.headers.get("content-type"),
    body: await response.json(),
  };
}

const infer = (model: string, body: unknown) =>
  call(`/v2/models/${model}/infer`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });

const digits = (n: number) =>
  Array.from({ length: n * 784 }, (_, i) => Math.sin(i * 0.37) * 2 - 0.4);

Deno.test({
  name: "v2: server metadata, liveness and readiness",
  sanitizeResources: false, // the shared server lives for the whole file
  sanitizeOps: false,
  async fn() {
    const meta = await call("/v2");
    deepStrictEqual(meta.status, 200);
    deepStrictEqual(Object.keys(meta.body).sort(), ["extensions", "name", "version"]);
    deepStrictEqual(meta.body.name, "digitlab");
    assert(Array.isArray(meta.body.extensions), "extensions is an array");
    deepStrictEqual((await call("/v2/health/live")).body, { live: true });
    const ready = await call("/v2/health/ready");
    deepStrictEqual([ready.status, ready.body], [200, { ready: true }]);
  },
});

Deno.test({
  name: "v2: model metadata and readiness, with and without a version",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const { status, body } = await call("/v2/models/cnn");
    deepStrictEqual(status, 200);
    deepStrictEqual(body, {
      name: "cnn",
      versions: ["0.0.0-test"],
      platform: "onnxruntime_onnx",
      inputs: [{ name: "input", datatype: "FP32", shape: [-1, 1, 28, 28] }],
      outputs: [
        { name: "logits", datatype: "FP32", shape: [-1, 10] },
        { name: "probabilities", datatype: "FP32", shape: [-1, 10] },
      ],
    });
    deepStrictEqual((await call("/v2/models/cnn/versions/0.0.0-test")).body.name, "cnn");
    deepStrictEqual((await call("/v2/models/mlp/ready")).body, { name: "mlp", ready: true });
    const missing = await call("/v2/models/nope/ready");
    deepStrictEqual(missing.status, 404);
    deepStrictEqual(typeof missing.body.error, "string");
    deepStrictEqual((await call("/v2/models/cnn/versions/9/ready")).status, 404);
  },
});

Deno.test({
  name: "v2: infer returns logits and probabilities as the session computes them",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const data = digits(3);
    const { status, body } = await infer("cnn", {
      id: "abc",
      inputs: [{ name: "input", shape: [3, 1, 28, 28], datatype: "FP32", data }],
    });
    deepStrictEqual(status, 200);
    deepStrictEqual(Object.keys(body).sort(), ["id", "model_name", "model_version", "outputs"]);
    deepStrictEqual([body.model_name, body.model_version, body.id], ["cnn", "0.0.0-test", "abc"]);
    deepStrictEqual(body.outputs.map((o: { name: string }) => o.name), ["logits", "probabilities"]);
    const expected = await runBatch(
      server.registry.get("cnn").session!,
      new Float32Array(data),
      3,
    );
    for (const output of body.outputs) {
      deepStrictEqual(Object.keys(output).sort(), ["data", "datatype", "name", "shape"]);
      deepStrictEqual([output.datatype, output.shape], ["FP32", [3, 10]]);
      const want = expected[output.name as "logits" | "probabilities"];
      deepStrictEqual(output.data.length, 30);
      for (let i = 0; i < 30; i++) {
        assert(Math.abs(output.data[i] - want[i]) < 1e-6, `${output.name}[${i}]`);
      }
    }
    // [N,784] and one requested output, no id.
    const flat = await infer("mlp", {
      inputs: [{ name: "input", shape: [1, 784], datatype: "FP32", data: digits(1) }],
      outputs: [{ name: "probabilities" }],
    });
    deepStrictEqual(flat.status, 200);
    deepStrictEqual(Object.keys(flat.body).sort(), ["model_name", "model_version", "outputs"]);
    deepStrictEqual(flat.body.outputs.length, 1);
    const sum = flat.body.outputs[0].data.reduce((a: number, b: number) => a + b, 0);
    assert(Math.abs(sum - 1) < 1e-5, "probabilities sum to 1");
  },
});

Deno.test({
  name: "v2: bad requests are 4xx JSON with a string error, never 5xx",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const good = { name: "input", shape: [1, 784], datatype: "FP32", data: digits(1) };
    const cases: [unknown, number][] = [
      ["{not json", 400],
      ["", 400],
      [{}, 400],
      [{ inputs: [{ ...good, datatype: "FP16" }] }, 400],
      [{ inputs: [{ ...good, shape: [2, 784] }] }, 400],
      [{ inputs: [{ ...good, data: [1, 2, 3] }] }, 400],
      [{ inputs: [good, good] }, 400],
      ["[".repeat(10000) + "]".repeat(10000), 400],
    ];
    for (const [body, want] of cases) {
      const { status, type, body: answer } = await infer("mlp", body);
      deepStrictEqual(status, want, JSON.stringify(body).slice(0, 60));
      assert(type?.startsWith("application/json"), "JSON");
      deepStrictEqual(typeof answer.error, "string");
    }
    const unknown = await infer("nope", { inputs: [good] });
    deepStrictEqual(unknown.status, 404);
    const big = await infer("mlp", JSON.stringify({ inputs: [{ ...good, data: digits(300) }] }));
    deepStrictEqual(big.status, 413);
    const get = await call("/v2/models/mlp/infer");
    assert(get.status >= 400 && get.status < 500, `GET infer is ${get.status}`);
  },
});

Deno.test({
  name: "/metrics: Prometheus text with requests, latency, batches and models",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    await infer("mlp", {
      inputs: [{ name: "input", shape: [2, 784], datatype: "FP32", data: digits(2) }],
    });
    const response = await fetch(`${server.url}/metrics`);
    deepStrictEqual(response.status, 200);
    assert(response.headers.get("content-type")!.startsWith("text/plain; version=0.0.4"), "type");
    const text = await response.text();
    const line = (pattern: RegExp) => text.split("\n").find((l) => pattern.test(l));
    assert(
      line(
        /^digitlab_http_requests_total\{route="\/v2\/models\/\{name\}\/infer",method="POST",status="200"\} [1-9]/,
      ),
      "infer counted by route pattern",
    );
    assert(
      line(/^digitlab_http_request_duration_seconds_bucket\{route="\/v2",le="\+Inf"\} [1-9]/),
      "latency",
    );
    assert(line(/^digitlab_inference_batch_size_bucket\{le="2"\} [1-9]/), "a batch of 2");
    assert(line(/^digitlab_inference_batch_duration_seconds_count [1-9]/), "inference time");
    assert(line(/^digitlab_inference_queue_duration_seconds_count [1-9]/), "queue time");
    assert(
      line(/^digitlab_model_loaded\{name="mlp",version="0.0.0-test",precision="fp32"\} 1$/),
      "models",
    );
    assert(line(/^process_resident_memory_bytes [1-9]\d+$/), "memory");
    // Every sample line is name{labels} value.
    for (const sample of text.split("\n").filter((l) => l && !l.startsWith("#"))) {
      assert(
        /^[a-z_]+(\{[a-z_]+="[^"]*"(,[a-z_]+="[^"]*")*\})? [\d.e+-]+$/.test(sample),
        `sample line: ${sample}`,
      );
    }
  },
});

Deno.test({
  name: "v2: inputs that overflow the model get 400, never null logits",
  sanitizeResources: false,
  sanitizeOps: false,
  async fn() {
    const huge = Array.from({ length: 784 }, (_, i) => (i % 2 ? 3.4e38 : -3.4e38));
    const { status, body } = await infer("mlp", {
      inputs: [{ name: "input", shape: [1, 784], datatype: "FP32", data: huge }],
    });
    deepStrictEqual(status, 400, JSON.stringify(body));
    deepStrictEqual(body.error, "bad_request");
  },
});
