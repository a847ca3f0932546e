import assert, { deepStrictEqual } from "node:assert/strict";
import { linearScale, linePath, niceTicks } from "./chart_scale.ts";

Deno.test("linearScale maps the domain ends onto the range ends, inverted ranges too", () => {
  const y = linearScale([0, 2], [100, 0]);
  deepStrictEqual([y(0), y(1), y(2)], [100, 50, 0]);
});

Deno.test("linearScale puts a single-value domain in the middle of the range", () => {
  deepStrictEqual(linearScale([3, 3], [0, 10])(3), 5);
});

Deno.test("niceTicks covers the range with round steps", () => {
  const { ticks, domain, step } = niceTicks(0.031, 0.237, 5);
  deepStrictEqual(step, 0.05);
  deepStrictEqual(ticks, [0, 0.05, 0.1, 0.15, 0.2, 0.25]);
  deepStrictEqual(domain, [0, 0.25]);
});

Deno.test("niceTicks widens a flat series instead of dividing by zero", () => {
  const { ticks } = niceTicks(0.98, 0.98);
  assert(ticks[0] < 0.98 && ticks[ticks.length - 1] > 0.98, `ticks ${ticks}`);
});

Deno.test("linePath starts with a move and rounds to hundredths", () => {
  deepStrictEqual(linePath([{ x: 0, y: 1 }, { x: 1.006, y: 2.333 }]), "M0 1L1.01 2.33");
});
