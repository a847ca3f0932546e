import { renderToString } from "preact-render-to-string";
import assert, { deepStrictEqual } from "node:assert/strict";
import { integerTicks, LineChart } from "./line_chart.tsx";

Deno.test("integerTicks labels every epoch of a short run and thins out long ones", () => {
  deepStrictEqual(integerTicks(1, 5), [1, 2, 3, 4, 5]);
  const long = integerTicks(1, 40);
  assert(long.length <= 10, `ticks ${long}`);
  deepStrictEqual([long[0], long[long.length - 1]], [1, 40]);
});

Deno.test("integerTicks frames a single epoch instead of a zero-width axis", () => {
  deepStrictEqual(integerTicks(1, 1), [0, 1, 2]);
});

Deno.test("LineChart draws one marker per point with its value in a tooltip", () => {
  const html = renderToString(
    <LineChart
      title="Loss"
      xLabel="epoch"
      points={[{ x: 1, y: 0.4 }, { x: 2, y: 0.2 }, { x: 3, y: 0.1 }]}
      formatY={(v) => v.toFixed(2)}
    />,
  );
  deepStrictEqual((html.match(/<circle/g) ?? []).length, 3);
  assert(html.includes("<title>epoch 2: 0.20</title>"), html);
});

Deno.test("LineChart says so when there is nothing to draw", () => {
  const html = renderToString(
    <LineChart title="Loss" xLabel="epoch" points={[]} formatY={String} />,
  );
  assert(html.includes("No loss recorded."), html);
});
