import { deepStrictEqual } from "node:assert/strict";
import { MAX_JSON_DEPTH, nestsTooDeep } from "./json_depth.ts";

Deno.test("nestsTooDeep: counts arrays and objects inside one another, not brackets in strings", () => {
  deepStrictEqual(nestsTooDeep("[".repeat(MAX_JSON_DEPTH) + "]".repeat(MAX_JSON_DEPTH)), false);
  deepStrictEqual(nestsTooDeep("[".repeat(MAX_JSON_DEPTH + 1)), true);
  deepStrictEqual(nestsTooDeep('{"image":'.repeat(100_000) + "1" + "}".repeat(100_000)), true);
  // Siblings do not add up; strings (escaped quotes included) hold no levels.
  deepStrictEqual(nestsTooDeep(JSON.stringify(Array.from({ length: 1000 }, () => [[1]]))), false);
  deepStrictEqual(nestsTooDeep(JSON.stringify({ s: "[".repeat(1000), t: '\\"[[[[' })), false);
  deepStrictEqual(nestsTooDeep(JSON.stringify({ s: '"' + "{".repeat(1000) })), false);
  // The bodies the API takes.
  const rows = Array.from({ length: 28 }, () => Array(28).fill(0));
  deepStrictEqual(nestsTooDeep(JSON.stringify({ inputs: [{ data: [rows] }] })), false);
});
