/**
 * The behaviour every FeedbackStore must show, as test steps that each back end's test runs
 * against a fresh store: one set of expectations, so SQLite and PostgreSQL cannot drift.
 *
 * @module
 */
import assert from "node:assert/strict";
import { type FeedbackStore, FeedbackStoreFull, type NewFeedback } from "./store.ts";

/** A fresh, empty store holding at most `maxExamples`. */
export type StoreFactory = (maxExamples: number) => Promise<FeedbackStore>;

export function example(label: number, overrides: Partial<NewFeedback> = {}): NewFeedback {
  return {
    label,
    predicted: null,
    model: null,
    strokes: null,
    image: new Uint8Array([0x89, 0x50, 0x4e, 0x47, label, 1, 2, 3]),
    imageType: "image/png",
    ...overrides,
  };
}

export async function storeContract(t: Deno.TestContext, fresh: StoreFactory): Promise<void> {
  await t.step("add, get and delete keep every field and the image bytes", async () => {
    const store = await fresh(10);
    try {
      const strokes: [number, number][][] = [[[0.1, 0.2], [0.3, 0.4]], [[0.5, 0.5]]];
      const added = await store.add(
        example(7, { predicted: 1, model: "cnn-aug", strokes, imageType: "image/jpeg" }),
      );
      assert.match(added.id, /^[0-9a-f-]{36}$/);
      assert.ok(Math.abs(Date.parse(added.createdAt) - Date.now()) < 60_000);
      const stored = await store.get(added.id);
      assert.deepEqual(stored, {
        ...added,
        strokes,
        image: example(7).image,
        imageType: "image/jpeg",
      });
      assert.equal(await store.count(), 1);
      assert.equal(await store.get("no-such-id"), null);
      assert.equal(await store.delete(added.id), true);
      assert.equal(await store.delete(added.id), false);
      assert.equal(await store.get(added.id), null);
      assert.equal(await store.count(), 0);
    } finally {
      await store.close();
    }
  });

  await t.step("list pages newest first and filters by label and by wrong answers", async () => {
    const store = await fresh(100);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 7; i++) {
        ids.push((await store.add(example(i % 3, { predicted: i < 2 ? i % 3 : 9 }))).id);
      }
      const first = await store.list({ limit: 3 });
      assert.deepEqual(first.items.map((item) => item.id), ids.slice(4).reverse());
      assert.ok(first.next);
      const second = await store.list({ limit: 3, after: first.next });
      assert.deepEqual(second.items.map((item) => item.id), ids.slice(1, 4).reverse());
      const last = await store.list({ limit: 3, after: second.next });
      assert.deepEqual(last.items.map((item) => item.id), [ids[0]]);
      assert.equal(last.next, null);
      const twos = await store.list({ limit: 10, label: 2 });
      assert.deepEqual(twos.items.map((item) => item.id), [ids[5], ids[2]]);
      const wrong = await store.list({ limit: 10, wrong: true });
      assert.deepEqual(wrong.items.map((item) => item.id), ids.slice(2).reverse());
      const wrongZeros = await store.list({ limit: 10, wrong: true, label: 0 });
      assert.deepEqual(wrongZeros.items.map((item) => item.id), [ids[6], ids[3]]);
    } finally {
      await store.close();
    }
  });

  await t.step("exportAll yields everything oldest first, across batches", async () => {
    const store = await fresh(1000);
    try {
      const ids: string[] = [];
      for (let i = 0; i < 230; i++) ids.push((await store.add(example(i % 10))).id);
      const seen: string[] = [];
      for await (const record of store.exportAll()) seen.push(record.id);
      assert.deepEqual(seen, ids);
    } finally {
      await store.close();
    }
  });

  await t.step("past the cap add refuses and nothing stored changes", async () => {
    const store = await fresh(3);
    try {
      const ids = [];
      for (let i = 0; i < 3; i++) ids.push((await store.add(example(i))).id);
      await assert.rejects(store.add(example(5)), FeedbackStoreFull);
      assert.equal(await store.count(), 3);
      const listed = await store.list({ limit: 10 });
      assert.deepEqual(listed.items.map((item) => item.id), ids.reverse());
      // Deleting makes room again.
      await store.delete(ids[0]);
      await store.add(example(6));
      assert.equal(await store.count(), 3);
    } finally {
      await store.close();
    }
  });

  await t.step("concurrent adds are all stored", async () => {
    const store = await fresh(1000);
    try {
      const added = await Promise.all(
        Array.from({ length: 64 }, (_, i) => store.add(example(i % 10))),
      );
      assert.equal(new Set(added.map((item) => item.id)).size, 64);
      assert.equal(await store.count(), 64);
    } finally {
      await store.close();
    }
  });
}
