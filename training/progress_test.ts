import assert, { deepStrictEqual } from "node:assert/strict";
import { formatDuration, renderBar, startProgress } from "./progress.ts";

Deno.test("renderBar shows fraction, rate and ETA", () => {
  const line = renderBar(50, 100, 10, { label: "epoch 1/2", unit: "img", unitsPerTick: 64 });
  assert(line.startsWith("epoch 1/2 ["), line);
  assert(line.includes(" 50% "), line);
  assert(line.includes("320 img/s"), line);
  assert(line.includes("ETA 0:10"), line);
});

Deno.test("formatDuration handles minutes and unknown", () => {
  deepStrictEqual(formatDuration(125), "2:05");
  deepStrictEqual(formatDuration(Infinity), "--:--");
});

Deno.test("startProgress stays silent off a terminal", () => {
  let writes = 0;
  const output = { isTerminal: () => false, writeSync: (b: Uint8Array) => (writes++, b.length) };
  const progress = startProgress({ total: 3, label: "x", output });
  progress.tick();
  progress.done();
  deepStrictEqual(writes, 0);
});

Deno.test("startProgress draws on a terminal", () => {
  const lines: string[] = [];
  const output = {
    isTerminal: () => true,
    writeSync: (b: Uint8Array) => (lines.push(new TextDecoder().decode(b)), b.length),
  };
  const progress = startProgress({ total: 1, label: "dl", output });
  progress.tick(1, "loss 0.1");
  assert(lines.some((l) => l.includes("100%") && l.includes("loss 0.1")), lines.join("|"));
});
