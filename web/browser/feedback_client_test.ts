import assert from "node:assert/strict";
import { contributedCount, countContribution, sendCorrection } from "./feedback_client.ts";

Deno.test("sendCorrection posts the fields /feedback reads and returns the stored id", async () => {
  let sent: FormData | undefined;
  const fakeFetch = (_url: string | URL | Request, init?: RequestInit) => {
    sent = init?.body as FormData;
    return Promise.resolve(Response.json({ id: "abc", label: 7 }, { status: 201 }));
  };
  const stored = await sendCorrection({
    image: new Blob([new Uint8Array([1, 2])], { type: "image/png" }),
    label: 7,
    predicted: 2,
    model: "cnn-aug",
    strokes: [[{ x: 0.123456, y: 1.2 }, { x: -0.1, y: 0.5 }]],
  }, fakeFetch as typeof fetch);
  assert.equal(stored.id, "abc");
  assert.equal(sent?.get("label"), "7");
  assert.equal(sent?.get("predicted"), "2");
  assert.equal(sent?.get("model"), "cnn-aug");
  assert.deepEqual(JSON.parse(String(sent?.get("strokes"))), [[[0.1235, 1], [0, 0.5]]]);
});

Deno.test("sendCorrection rejects with the server's message", async () => {
  const fakeFetch = () =>
    Promise.resolve(
      Response.json({ error: "insufficient_storage", message: "full" }, { status: 507 }),
    );
  await assert.rejects(
    sendCorrection(
      { image: new Blob([]), label: 1, predicted: null, model: null, strokes: [] },
      fakeFetch as typeof fetch,
    ),
    /full/,
  );
});

Deno.test("the contribution counter counts up and survives bad stored values", () => {
  const map = new Map<string, string>();
  const storage = {
    getItem: (k: string) => map.get(k) ?? null,
    setItem: (k: string, v: string) => void map.set(k, v),
  };
  assert.equal(contributedCount(storage), 0);
  assert.equal(countContribution(storage), 1);
  assert.equal(countContribution(storage), 2);
  map.set("digitlab.feedback.count", "junk");
  assert.equal(contributedCount(storage), 0);
  assert.equal(contributedCount(null), 0);
});
