/**
 * A route declares that it runs a model (`runsModel`), and that alone gives it the deadline,
 * the concurrency cap and its own metric label: nothing in middleware/ or metrics/ names it.
 */
import { deepStrictEqual, equal, ok } from "node:assert/strict";
import { createApp } from "../app.ts";
import { SHIPPED_MODELS_DIR } from "../config.ts";
import { InferenceEngine } from "../inference/engine.ts";
import { loadModels } from "../inference/model_registry.ts";
import { DEFAULT_LIMITS, runsModel } from "../middleware/mod.ts";

const LIMITS = { ...DEFAULT_LIMITS, maxConcurrent: 1, requestTimeoutMs: 300 };

Deno.test("a throwaway route marked runsModel gets the cap, the deadline and a metric label", async () => {
  const modelsDir = await Deno.makeTempDir({ prefix: "digitlab_marks_" });
  await Deno.copyFile(new URL("mlp.onnx", SHIPPED_MODELS_DIR), `${modelsDir}/mlp.onnx`);
  await Deno.copyFile(new URL("mlp.json", SHIPPED_MODELS_DIR), `${modelsDir}/mlp.json`);
  const { registry } = await loadModels(new URL(`file://${modelsDir}/`), {
    preferred: "mlp",
    required: true,
  });
  const engine = InferenceEngine.inProcess();
  try {
    const app = createApp({ registry, engine, maxBodyBytes: 1024 * 1024, limits: LIMITS });
    // Held until released, then runs the model for real: a stand-in for a slow prediction.
    let release!: () => void;
    const held = new Promise<void>((resolve) => release = resolve);
    const runModel = async () => {
      await held;
      const result = await engine.submit(registry.get("mlp"), {
        kind: "tensor",
        input: new Float32Array(784),
        count: 1,
      });
      ok(result.ok);
      return result.output.probabilities.length;
    };
    app.post("/throwaway/:id", runsModel, async (c) => c.json({ outputs: await runModel() }));
    // The same work without the mark: neither capped nor timed.
    app.post("/unmarked/:id", async (c) => c.json({ outputs: await runModel() }));

    const first = app.request("/throwaway/1", { method: "POST" });
    const second = await app.request("/throwaway/2", { method: "POST" });
    equal(second.status, 503, "the cap of 1 refuses a second request while the first runs");
    equal((await second.json()).error, "overloaded");
    const unmarked = app.request("/unmarked/1", { method: "POST" });

    const late = await first;
    equal(late.status, 503, "the deadline answers a request whose work runs past it");
    equal(late.headers.get("retry-after"), "1");
    release();
    const free = await unmarked;
    equal(free.status, 200, "an unmarked route waited past the deadline and was not refused");
    deepStrictEqual(await free.json(), { outputs: 10 });

    const metrics = await (await app.request("/metrics")).text();
    ok(
      metrics.includes(
        'digitlab_http_requests_total{route="/throwaway/{id}",method="POST",status="503"} 2',
      ),
      "the two refusals are not counted under /throwaway/{id}",
    );
    ok(metrics.includes('route="/unmarked/{id}"'));
  } finally {
    engine.close();
    await registry.close();
    await Deno.remove(modelsDir, { recursive: true });
  }
});
