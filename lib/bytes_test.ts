import { assertEquals } from "./assert.ts";
import { concatBytes } from "./bytes.ts";

Deno.test("concatBytes joins parts in order, empty ones included", () => {
  const joined = concatBytes([Uint8Array.of(1, 2), new Uint8Array(0), Uint8Array.of(3)]);
  assertEquals(Array.from(joined), [1, 2, 3]);
  assertEquals(concatBytes([]).length, 0);
});
