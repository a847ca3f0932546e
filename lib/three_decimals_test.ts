import { assertEquals } from "./assert.ts";
import { threeDecimals } from "./three_decimals.ts";

Deno.test("threeDecimals rounds to the nearest thousandth", () => {
  assertEquals(threeDecimals(1.23456), 1.235);
  assertEquals(threeDecimals(0.0004), 0);
  assertEquals(threeDecimals(2), 2);
});
