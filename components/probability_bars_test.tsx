import { renderToString } from "preact-render-to-string";
import assert, { deepStrictEqual } from "node:assert/strict";
import { ProbabilityBars } from "./probability_bars.tsx";

Deno.test("ProbabilityBars labels each digit with its probability", () => {
  const probabilities = [0.01, 0.02, 0.03, 0.04, 0.05, 0.06, 0.07, 0.62, 0.05, 0.05];
  const html = renderToString(<ProbabilityBars probabilities={probabilities} predicted={7} />);
  deepStrictEqual((html.match(/<li /g) ?? []).length, 10);
  assert(html.includes('aria-label="7: 62.0%"'), html);
  deepStrictEqual((html.match(/bar-top/g) ?? []).length, 1);
});

Deno.test("ProbabilityBars before any prediction has no inline styles (the CSP forbids them)", () => {
  const html = renderToString(<ProbabilityBars probabilities={null} predicted={null} />);
  assert(!html.includes("style="), html);
  assert(html.includes('aria-label="0: no prediction"'), html);
});
