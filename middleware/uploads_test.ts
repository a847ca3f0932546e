import assert, { deepStrictEqual } from "node:assert/strict";
import { UploadsInProgress } from "./uploads.ts";

Deno.test("UploadsInProgress: allArrived waits for every tracked body", async () => {
  const uploads = new UploadsInProgress();
  let finish!: () => void;
  uploads.track(new Promise<void>((resolve) => finish = resolve));
  deepStrictEqual(uploads.count, 1);
  setTimeout(finish, 30);
  const started = performance.now();
  assert(await uploads.allArrived(1000));
  assert(performance.now() - started >= 25, "did not wait");
  deepStrictEqual(uploads.count, 0);
});

Deno.test("UploadsInProgress: allArrived gives up after its timeout", async () => {
  const uploads = new UploadsInProgress();
  let finish!: () => void;
  uploads.track(new Promise<void>((resolve) => finish = resolve));
  deepStrictEqual(await uploads.allArrived(20), false);
  finish();
});

Deno.test("UploadsInProgress: with nothing arriving, allArrived resolves at once", async () => {
  assert(await new UploadsInProgress().allArrived(0));
});
