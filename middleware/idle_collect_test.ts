import { equal } from "node:assert/strict";
import { IdleCollector } from "./idle_collect.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("IdleCollector: collects once, after enough bytes and a quiet spell", async () => {
  let collected = 0;
  const collector = new IdleCollector({ afterBytes: 100, quietMs: 30, collect: () => collected++ });
  try {
    collector.noteBody(60);
    await sleep(60);
    equal(collected, 0, "under afterBytes: nothing to collect");
    collector.noteBody(60);
    await sleep(10);
    collector.noteBody(10); // a body arriving postpones it
    await sleep(10);
    equal(collected, 0, "not quiet yet");
    await sleep(60);
    equal(collected, 1);
    equal(collector.collections, 1);
    collector.noteBody(50);
    await sleep(60);
    equal(collected, 1, "the count starts again after a collection");
  } finally {
    collector.close();
  }
});

Deno.test("IdleCollector: without V8's gc it does nothing", async () => {
  const collector = new IdleCollector({ afterBytes: 1, quietMs: 1, collect: undefined });
  collector.noteBody(1_000_000);
  await sleep(10);
  equal(collector.collections, 0);
});
