import { deepStrictEqual } from "node:assert/strict";
import { concatBytes } from "./bytes.ts";

Deno.test("concatBytes joins parts in order, empty ones included", () => {
  const joined = concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)]);
  deepStrictEqual(Array.from(joined), [1, 2, 3]);
  deepStrictEqual(concatBytes([]).length, 0);
});
