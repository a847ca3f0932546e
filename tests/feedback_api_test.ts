/**
 * The feedback API end to end on a real listening server with a real SQLite store: writes,
 * the admin routes and their token, the cap, the export, `--feedback off`, and 200 generated
 * bad inputs that must all get a 4xx JSON error and store nothing.
 */
import assert from "node:assert/strict";
import type { FeedbackStore } from "../feedback/store.ts";
import { type Backend, BACKENDS, freshDatabase } from "./helpers/feedback_backends.ts";
import { feedbackBadInputs } from "./helpers/feedback_bad_inputs.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { SHIPPED_MODELS, startTestServer, type TestServer } from "./helpers/test_server.ts";

const TOKEN = "test-admin-token-0123456789";
const DRAWING = await Deno.readFile(new URL("./fixtures/drawn-7.png", import.meta.url));
const BLANK = await encodePng(new Uint8Array(28 * 28).fill(255), 28, 28, "grey");
const STROKES = [[[0.2, 0.2], [0.8, 0.2], [0.5, 0.9]]];

interface ServerOptions {
  maxExamples?: number;
  adminToken?: string | null;
  feedback?: boolean;
  backend?: Backend;
}

async function withServer(
  options: ServerOptions,
  run: (server: TestServer, store: FeedbackStore) => Promise<void>,
): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-feedback-api-" });
  const database = await freshDatabase(options.backend ?? BACKENDS[0], dir);
  const store = await database.open(options.maxExamples ?? 1000);
  const server = await startTestServer({
    modelsDir: SHIPPED_MODELS,
    feedback: options.feedback === false
      ? undefined
      : { store, adminToken: options.adminToken === undefined ? TOKEN : options.adminToken },
  });
  try {
    await run(server, store);
  } finally {
    await server.close();
    await store.close();
    await database.drop();
    await Deno.remove(dir, { recursive: true });
  }
}

function postForm(url: string, fields: Record<string, string>, image = DRAWING) {
  const form = new FormData();
  form.set("img", new File([image], "digit.png", { type: "image/png" }));
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return fetch(`${url}/feedback`, { method: "POST", body: form });
}

const admin = (token = TOKEN) => ({ headers: { Authorization: `Bearer ${token}` } });

for (const backend of BACKENDS) {
  Deno.test({
    name:
      `${backend.name}: POST /feedback stores a correction, admin routes read, export and delete it`,
    ignore: backend.missing !== null,
    fn: () => storeReadExportDelete(backend),
  });
  Deno.test({
    name: `${backend.name}: past --feedback-max a write gets 507 JSON and nothing stored changes`,
    ignore: backend.missing !== null,
    fn: () => capRefuses(backend),
  });
}

async function storeReadExportDelete(backend: Backend) {
  await withServer({ backend }, async ({ url }, store) => {
    const response = await postForm(url, {
      label: "7",
      predicted: "2",
      model: "cnn-aug",
      strokes: JSON.stringify(STROKES),
    });
    assert.equal(response.status, 201);
    const created = await response.json();
    assert.equal(created.label, 7);
    assert.equal(created.predicted, 2);
    assert.equal(created.model, "cnn-aug");
    assert.match(created.id, /^[0-9a-f-]{36}$/);
    // Acknowledged means stored.
    assert.deepEqual((await store.get(created.id))?.image, DRAWING);

    const viaJson = await fetch(`${url}/feedback`, {
      method: "POST",
      headers: { "Content-Type": "application/json" },
      body: JSON.stringify({ image: `data:image/png;base64,${DRAWING.toBase64()}`, label: 1 }),
    });
    assert.equal(viaJson.status, 201);
    const second = await viaJson.json();
    assert.deepEqual([second.label, second.predicted, second.model], [1, null, null]);

    const list = await (await fetch(`${url}/feedback?limit=1`, admin())).json();
    assert.deepEqual(list.items.map((item: { id: string }) => item.id), [second.id]);
    const rest = await (await fetch(`${url}/feedback?limit=1&after=${list.next}`, admin())).json();
    assert.deepEqual(rest.items, [created]);
    assert.equal(rest.next, null);
    const wrong = await (await fetch(`${url}/feedback?wrong=true`, admin())).json();
    assert.deepEqual(wrong.items.map((item: { id: string }) => item.id), [created.id]);
    const ones = await (await fetch(`${url}/feedback?label=1`, admin())).json();
    assert.deepEqual(ones.items.map((item: { id: string }) => item.id), [second.id]);

    const one = await (await fetch(`${url}/feedback/${created.id}`, admin())).json();
    assert.deepEqual(one, { ...created, strokes: STROKES, imageType: "image/png" });
    const image = await fetch(`${url}/feedback/${created.id}/image`, admin());
    assert.equal(image.headers.get("content-type"), "image/png");
    assert.deepEqual(new Uint8Array(await image.arrayBuffer()), DRAWING);

    const exported = await fetch(`${url}/feedback/export`, admin());
    assert.equal(exported.status, 200);
    assert.match(exported.headers.get("content-type") ?? "", /^application\/jsonl/);
    const lines = (await exported.text()).trim().split("\n").map((line) => JSON.parse(line));
    assert.deepEqual(lines.map((line) => line.id), [created.id, second.id]);
    assert.deepEqual(Uint8Array.fromBase64(lines[0].image), DRAWING);
    assert.deepEqual(lines[0].strokes, STROKES);

    const deleted = await fetch(`${url}/feedback/${created.id}`, { method: "DELETE", ...admin() });
    assert.equal(deleted.status, 204);
    await deleted.body?.cancel();
    const gone = await fetch(`${url}/feedback/${created.id}`, admin());
    assert.equal(gone.status, 404);
    assert.equal((await gone.json()).error, "not_found");
    const again = await fetch(`${url}/feedback/${created.id}`, { method: "DELETE", ...admin() });
    assert.equal(again.status, 404);
    await again.body?.cancel();
    assert.equal(await store.count(), 1);
  });
}

Deno.test("admin routes: no token 401, wrong token 401, no token configured 403", async () => {
  const routes = (id: string) => [
    ["GET", "/feedback"],
    ["GET", "/feedback/export"],
    ["GET", `/feedback/${id}`],
    ["GET", `/feedback/${id}/image`],
    ["DELETE", `/feedback/${id}`],
  ];
  await withServer({}, async ({ url }, store) => {
    const { id } = await (await postForm(url, { label: "3" })).json();
    const headers: [string, Record<string, string>][] = [
      ["none", {}],
      ["wrong", { Authorization: `Bearer ${TOKEN}x` }],
      ["prefix of it", { Authorization: `Bearer ${TOKEN.slice(0, -1)}` }],
      ["not bearer", { Authorization: `Basic ${btoa(`admin:${TOKEN}`)}` }],
      ["empty", { Authorization: "Bearer " }],
    ];
    for (const [method, path] of routes(id)) {
      for (const [what, header] of headers) {
        const response = await fetch(`${url}${path}`, { method, headers: header });
        const body = await response.json();
        assert.equal(response.status, 401, `${method} ${path} with ${what} token`);
        assert.equal(body.error, "unauthorized");
        assert.ok(!JSON.stringify(body).includes(TOKEN.slice(4)), "the token is never echoed");
      }
    }
    assert.equal(await store.count(), 1, "a refused DELETE deleted nothing");
  });
  await withServer({ adminToken: null }, async ({ url }) => {
    const { id } = await (await postForm(url, { label: "3" })).json();
    for (const [method, path] of routes(id)) {
      const response = await fetch(`${url}${path}`, { method, ...admin() });
      const body = await response.json();
      assert.equal(response.status, 403, `${method} ${path}`);
      assert.equal(body.error, "admin_disabled");
      assert.match(body.message, /--admin-token-file/);
    }
  });
});

async function capRefuses(backend: Backend) {
  await withServer({ maxExamples: 2, backend }, async ({ url }, store) => {
    for (const label of ["1", "2"]) assert.equal((await postForm(url, { label })).status, 201);
    const before = await store.list({ limit: 10 });
    const refused = await postForm(url, { label: "3" });
    assert.equal(refused.status, 507);
    assert.equal((await refused.json()).error, "insufficient_storage");
    assert.deepEqual(await store.list({ limit: 10 }), before);
  });
}

Deno.test("with --feedback off there are no feedback routes", async () => {
  await withServer({ feedback: false }, async ({ url }) => {
    const response = await postForm(url, { label: "3" });
    assert.equal(response.status, 404);
    assert.equal((await response.json()).error, "not_found");
  });
});

Deno.test("200 generated bad feedback inputs: each a 4xx JSON error, nothing stored", async () => {
  await withServer({}, async ({ url }, store) => {
    const failures: string[] = [];
    for (const input of feedbackBadInputs(DRAWING, BLANK, 200)) {
      const response = await fetch(`${url}/feedback`, {
        method: "POST",
        headers: input.headers,
        body: input.body,
      });
      const body = await response.json().catch(() => null);
      const ok = response.status >= 400 && response.status < 500 &&
        typeof body?.error === "string" && typeof body?.message === "string";
      if (!ok) failures.push(`${input.name}: ${response.status} ${JSON.stringify(body)}`);
    }
    assert.deepEqual(failures, []);
    assert.equal(await store.count(), 0);
  });
});
