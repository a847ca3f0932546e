import { deepStrictEqual } from "node:assert/strict";
import { BigDecodePool } from "./big_decode.ts";
import { encodePng } from "../tests/helpers/png_encode.ts";

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("BigDecodePool: a worker that has decoded is replaced by a fresh one once the pool is quiet", async () => {
  // Over 1024 px a side: the streaming decoder's size, after which the worker is kept.
  const side = 2048;
  const pixels = new Uint8Array(side * side).fill(255);
  pixels.fill(0, side * 600, side * 1400); // a dark band: some ink
  const png = await encodePng(pixels, side, side, "grey");
  const pool = new BigDecodePool(1, { recycleAfterMs: 200 });
  try {
    pool.warmUp();
    const first = await pool.decode(png);
    await pool.decode(png); // back to back: the same worker, its JIT warm
    deepStrictEqual(pool.started, 1);
    await delay(600);
    deepStrictEqual(pool.started, 2, "the used worker was not recycled after 200 ms of quiet");
    // The fresh one waits warm and answers the same.
    deepStrictEqual((await pool.decode(png)).field, first.field);
    deepStrictEqual(pool.started, 2);
    await delay(600);
    deepStrictEqual(pool.started, 3);
    await delay(600);
    deepStrictEqual(pool.started, 3, "an unused fresh worker is kept, not restarted again");
  } finally {
    pool.close();
  }
});

Deno.test("BigDecodePool: ordinary predictions are counted while in progress, also when they fail", async () => {
  const pool = new BigDecodePool(1);
  let during = -1;
  deepStrictEqual(
    await pool.ordinary(() => Promise.resolve((during = pool.ordinaryInProgress, 7))),
    7,
  );
  deepStrictEqual([during, pool.ordinaryInProgress], [1, 0]);
  await pool.ordinary(() => Promise.reject(new Error("bad image"))).catch(() => {});
  deepStrictEqual(pool.ordinaryInProgress, 0);
});
