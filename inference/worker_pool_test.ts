import assert, { deepStrictEqual } from "node:assert/strict";
import { writeTestModels } from "../tests/helpers/test_models.ts";
import { loadModels } from "./model_registry.ts";
import { WorkerPool } from "./worker_pool.ts";

Deno.test("WorkerPool: a worker that dies is replaced, with the models it held", async () => {
  const dir = await writeTestModels(["mlp"]);
  const crashes: string[] = [];
  const pool = await WorkerPool.start({
    workers: 1,
    ortThreads: 1,
    onCrash: (error) => crashes.push(error.message),
  });
  try {
    const { registry } = await loadModels(
      new URL(`file://${dir}/`),
      { preferred: "mlp", required: true },
      { mainSession: false, prepare: (model) => pool.load(model) },
    );
    const model = registry.get();
    const job = { kind: "tensor" as const, input: new Float32Array(784).fill(0.3), count: 1 };
    const [before] = await pool.run(model, [job]);
    assert(before.ok, "runs before the crash");
    pool.crashForTest(0);
    for (let i = 0; i < 100 && crashes.length === 0; i++) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    deepStrictEqual(crashes.length, 1);
    assert(crashes[0].includes("crashed on request"), crashes[0]);
    const [after] = await pool.run(model, [job]);
    assert(after.ok && before.ok, "the replacement runs the same model");
    deepStrictEqual(
      Array.from(after.output.probabilities),
      Array.from(before.output.probabilities),
    );
  } finally {
    pool.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("WorkerPool: each worker holds two batches at once, never three", async () => {
  const dir = await writeTestModels(["mlp"]);
  const pool = await WorkerPool.start({ workers: 1, ortThreads: 1 });
  try {
    const { registry } = await loadModels(
      new URL(`file://${dir}/`),
      { preferred: "mlp", required: true },
      { mainSession: false, prepare: (model) => pool.load(model) },
    );
    deepStrictEqual(pool.slots, 2);
    const model = registry.get();
    const job = { kind: "tensor" as const, input: new Float32Array(784).fill(0.3), count: 1 };
    const first = pool.run(model, [job]);
    const second = pool.run(model, [job]);
    let overbooked = "";
    await pool.run(model, [job]).catch((error: Error) => overbooked = error.message);
    assert(overbooked.includes("overbooked"), `a third batch was accepted: "${overbooked}"`);
    const [a, b] = (await Promise.all([first, second])).flat();
    assert(a.ok && b.ok, "both batches ran");
    const [third] = await pool.run(model, [job]);
    assert(third.ok, "a slot is free again once a batch is answered");
  } finally {
    pool.close();
    await Deno.remove(dir, { recursive: true });
  }
});
