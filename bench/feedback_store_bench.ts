/**
 * The feedback store alone (no HTTP): one durable `add` of a 280x280 drawing, SQLite with
 * synchronous=FULL, on the HTTP thread and through its worker as the server runs it.
 *
 *   deno bench --allow-read --allow-write bench/feedback_store_bench.ts
 *
 * @module
 */
import { openSqliteStore } from "../feedback/sqlite_store.ts";
import { openSqliteWorkerStore } from "../feedback/sqlite_worker_store.ts";
import type { NewFeedback } from "../feedback/store.ts";

const image = await Deno.readFile(new URL("./payloads/digit-280.png", import.meta.url));
const example: NewFeedback = {
  label: 7,
  predicted: 1,
  model: "cnn-aug",
  strokes: [[[0.2, 0.2], [0.8, 0.2], [0.5, 0.9]]],
  image,
  imageType: "image/png",
};
const dir = await Deno.makeTempDir({ prefix: "digitlab-store-bench-" });
const direct = openSqliteStore({ path: `${dir}/direct.sqlite3`, maxExamples: 1e9 });
const worker = await openSqliteWorkerStore({ path: `${dir}/worker.sqlite3`, maxExamples: 1e9 });
addEventListener("unload", () => Deno.removeSync(dir, { recursive: true }));

Deno.bench("feedback add: SQLite, synchronous=FULL, on this thread", async () => {
  await direct.add(example);
});

Deno.bench("feedback add: SQLite, synchronous=FULL, in its worker (as served)", async () => {
  await worker.add(example);
});
