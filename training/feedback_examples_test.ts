import assert from "node:assert/strict";
import { openSqliteStore } from "../feedback/sqlite_store.ts";
import { initImageDecoders } from "../inference/image_decode.ts";
import { mnistField } from "../lib/preprocess.ts";
import { decodeImage } from "../inference/image_decode.ts";
import {
  feedbackExamples,
  holdOutNewest,
  parseExport,
  readFeedbackSource,
} from "./feedback_examples.ts";
import { startTestServer } from "../tests/helpers/test_server.ts";

const DRAWING = await Deno.readFile(new URL("../tests/fixtures/drawn-7.png", import.meta.url));
const TOKEN = "feedback-examples-token-123";

Deno.test("holdOutNewest keeps the newest fifth apart, by time", () => {
  const items = Array.from(
    { length: 10 },
    (_, i) => ({ createdAt: `2026-01-${10 + ((i * 7) % 10)}` }),
  );
  const { train, heldOut } = holdOutNewest(items);
  assert.equal(heldOut.length, 2);
  assert.equal(train.length, 8);
  assert.ok(train.every((t) => heldOut.every((h) => t.createdAt <= h.createdAt)));
  assert.deepEqual(heldOut.map((h) => h.createdAt), ["2026-01-18", "2026-01-19"]);
});

Deno.test("the SQLite file, an export file and a server URL give the same examples", async () => {
  await initImageDecoders();
  const dir = await Deno.makeTempDir({ prefix: "digitlab-feedback-examples-" });
  const store = openSqliteStore({ path: `${dir}/feedback.sqlite3`, maxExamples: 100 });
  const server = await startTestServer({
    modelsDir: new URL("../models/", import.meta.url).pathname,
    feedback: { store, adminToken: TOKEN },
  });
  try {
    for (const label of [7, 1, 7]) {
      const form = new FormData();
      form.set("img", new File([DRAWING], "d.png", { type: "image/png" }));
      form.set("label", String(label));
      assert.equal(
        (await fetch(`${server.url}/feedback`, { method: "POST", body: form })).status,
        201,
      );
    }
    const exported = await (await fetch(`${server.url}/feedback/export`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    })).text();
    await Deno.writeTextFile(`${dir}/export.jsonl`, exported);

    const fromSqlite = await readFeedbackSource(`${dir}/feedback.sqlite3`);
    const fromFile = await readFeedbackSource(`${dir}/export.jsonl`);
    const fromServer = await readFeedbackSource(server.url, TOKEN);
    assert.equal(fromSqlite.length, 3);
    assert.deepEqual(fromFile, fromSqlite);
    assert.deepEqual(fromServer, fromSqlite);
    await assert.rejects(readFeedbackSource(server.url, "wrong-token-00000000"), /401/);

    const examples = await feedbackExamples(fromSqlite);
    assert.deepEqual(examples.map((e) => e.label), [7, 1, 7]);
    // The same field the server computes for /predict.
    const expected = mnistField((await decodeImage(DRAWING)).image);
    assert.deepEqual(examples[0].field, expected);
  } finally {
    await server.close();
    await store.close();
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("parseExport names the broken line", () => {
  assert.throws(() => parseExport('{"label": 1, "image": "AA=="}\nnot json'), /line 2/);
  assert.throws(() => parseExport('{"label": 1}'), /line 1 .* no image/);
});
