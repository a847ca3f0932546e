import { Hono } from "hono";
import assert, { deepStrictEqual } from "node:assert/strict";
import { concurrencyLimit } from "./concurrency_limit.ts";

/** An app whose handler waits until the test lets it go. */
function gatedApp(maxConcurrent: number) {
  const gates: (() => void)[] = [];
  const limit = concurrencyLimit({ maxConcurrent, retryAfterSeconds: 2 });
  const app = new Hono();
  app.use(limit);
  app.get("/", async (c) => {
    await new Promise<void>((resolve) => gates.push(resolve));
    return c.text("done");
  });
  return { app, limit, gates };
}

async function until(condition: () => boolean) {
  for (let i = 0; i < 100 && !condition(); i++) await new Promise((r) => setTimeout(r, 5));
  assert(condition(), "condition never became true");
}

Deno.test("concurrencyLimit: past the cap answers 503 with Retry-After at once", async () => {
  const { app, limit, gates } = gatedApp(2);
  const first = app.request("/");
  const second = app.request("/");
  await until(() => gates.length === 2);
  deepStrictEqual(limit.inFlight(), 2);

  const refused = await app.request("/");
  deepStrictEqual(refused.status, 503);
  deepStrictEqual(refused.headers.get("retry-after"), "2");
  deepStrictEqual((await refused.json()).error, "overloaded");

  gates.forEach((open) => open());
  deepStrictEqual(await (await first).text(), "done");
  deepStrictEqual(await (await second).text(), "done");
  deepStrictEqual(limit.inFlight(), 0);
});

Deno.test("concurrencyLimit: a slot frees when its request ends, even when it throws", async () => {
  const limit = concurrencyLimit({ maxConcurrent: 1 });
  const app = new Hono();
  app.use(limit);
  app.get("/boom", () => {
    throw new Error("boom");
  });
  app.get("/ok", (c) => c.text("ok"));
  app.onError((_error, c) => c.text("handled", 500));
  deepStrictEqual((await app.request("/boom")).status, 500);
  deepStrictEqual(limit.inFlight(), 0);
  deepStrictEqual((await app.request("/ok")).status, 200);
});

Deno.test("concurrencyLimit: perClient caps one client while others still get slots", async () => {
  const gates: (() => void)[] = [];
  const limit = concurrencyLimit({
    maxConcurrent: 10,
    perClient: 2,
    keyOf: (c) => c.req.header("x-client") ?? "",
  });
  const app = new Hono();
  app.use(limit);
  app.get("/", async (c) => {
    await new Promise<void>((resolve) => gates.push(resolve));
    return c.text("done");
  });
  const as = (client: string) => app.request("/", { headers: { "x-client": client } });
  const held = [as("greedy"), as("greedy")];
  await until(() => gates.length === 2);
  const refused = await as("greedy");
  deepStrictEqual(refused.status, 503);
  const other = as("other");
  await until(() => gates.length === 3);
  gates.forEach((open) => open());
  deepStrictEqual((await other).status, 200);
  for (const response of await Promise.all(held)) deepStrictEqual(response.status, 200);
  deepStrictEqual(limit.inFlight(), 0);
});
