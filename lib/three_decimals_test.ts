import { deepStrictEqual } from "node:assert/strict";
import { threeDecimals } from "./three_decimals.ts";

Deno.test("threeDecimals rounds to the nearest thousandth", () => {
  deepStrictEqual(threeDecimals(1.23456), 1.235);
  deepStrictEqual(threeDecimals(0.0004), 0);
  deepStrictEqual(threeDecimals(2), 2);
});
