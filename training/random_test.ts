import assert, { deepStrictEqual } from "node:assert/strict";
import { Random } from "./random.ts";

Deno.test("Random repeats for a seed and differs across seeds", () => {
  const a = new Random(7), b = new Random(7), c = new Random(8);
  const sa = [a.next(), a.next(), a.next()];
  deepStrictEqual(sa, [b.next(), b.next(), b.next()]);
  assert(sa[0] !== c.next());
});

Deno.test("Random.next stays in [0,1) with a flat histogram", () => {
  const random = new Random(1);
  const bins = new Array(10).fill(0);
  for (let i = 0; i < 100_000; i++) {
    const v = random.next();
    assert(v >= 0 && v < 1);
    bins[Math.floor(v * 10)]++;
  }
  for (const count of bins) assert(Math.abs(count - 10_000) < 500, `bin ${count}`);
});

Deno.test("Random.shuffle keeps every element", () => {
  const values = Uint32Array.from({ length: 100 }, (_, i) => i);
  new Random(3).shuffle(values);
  deepStrictEqual(
    Array.from(values).sort((a, b) => a - b),
    Array.from({ length: 100 }, (_, i) => i),
  );
  assert(values.some((v, i) => v !== i), "shuffle changed nothing");
});
