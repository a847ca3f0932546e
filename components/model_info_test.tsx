import { renderToString } from "preact-render-to-string";
import assert, { deepStrictEqual } from "node:assert/strict";
import type { ModelSummary } from "../web/browser/model_summary.ts";
import { ModelInfo } from "./model_info.tsx";

const model: ModelSummary = {
  name: "cnn",
  version: "20261126.063252-99.54",
  precision: "int8",
  testAccuracy: 0.9955,
  floatAccuracy: 0.9954,
  int8Accuracy: 0.9955,
  parameters: 459050,
  architecture: ["Conv2D -> [N,28,28,32] (288 params)", "Dense -> [N,128] (401536 params)"],
  epochs: 16,
  batchSize: 64,
  optimizer: "adam",
  learningRate: 0.001,
  augmentation: true,
  trainingSeconds: 3540,
  date: "2026-11-26T06:32:52Z",
};

Deno.test("ModelInfo: each accuracy labelled with its precision, the served one first", () => {
  const html = renderToString(<ModelInfo model={model} />);
  const items = [...html.matchAll(/<li>(.*?)<\/li>/g)].map((m) => m[1].replace(/<!--.*?-->/g, ""));
  deepStrictEqual(items, ["99.55% int8 (served)", "99.54% float32"]);
  assert(html.includes(">20261126.063252<"), "version without the accuracy suffix");
});

Deno.test("ModelInfo: layers as table rows with grouped numbers and a total", () => {
  const html = renderToString(<ModelInfo model={model} />);
  deepStrictEqual((html.match(/<tr>/g) ?? []).length, 1 + 2 + 1, "head, two layers, total");
  assert(html.includes("401,536") && html.includes("459,050"), html);
  assert(!html.includes("params"), "no debug-dump wording");
});
