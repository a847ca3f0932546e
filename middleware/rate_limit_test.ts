import { Hono } from "hono";
import { deepStrictEqual } from "node:assert/strict";
import { rateLimit } from "./rate_limit.ts";

function appWith(options: { ratePerSecond: number; burst: number; maxClients?: number }) {
  const clock = { now: 0 };
  const app = new Hono();
  app.use(rateLimit({
    ...options,
    keyOf: (c) => c.req.header("x-client") ?? "anonymous",
    now: () => clock.now,
  }));
  app.get("/", (c) => c.text("ok"));
  const get = async (client: string) => {
    const response = await app.request("/", { headers: { "x-client": client } });
    return { status: response.status, retryAfter: response.headers.get("retry-after") };
  };
  return { clock, get };
}

Deno.test("rateLimit: a burst passes, the next request gets 429 with Retry-After", async () => {
  const { get } = appWith({ ratePerSecond: 0.5, burst: 3 });
  for (let i = 0; i < 3; i++) deepStrictEqual((await get("a")).status, 200);
  deepStrictEqual(await get("a"), { status: 429, retryAfter: "2" });
});

Deno.test("rateLimit: tokens come back at the configured rate", async () => {
  const { clock, get } = appWith({ ratePerSecond: 2, burst: 2 });
  deepStrictEqual((await get("a")).status, 200);
  deepStrictEqual((await get("a")).status, 200);
  deepStrictEqual((await get("a")).status, 429);
  clock.now = 499; // 0.998 tokens: not yet
  deepStrictEqual((await get("a")).status, 429);
  clock.now = 500;
  deepStrictEqual((await get("a")).status, 200);
  deepStrictEqual((await get("a")).status, 429);
  clock.now = 60_000; // a long pause refills to the burst, no further
  deepStrictEqual((await get("a")).status, 200);
  deepStrictEqual((await get("a")).status, 200);
  deepStrictEqual((await get("a")).status, 429);
});

Deno.test("rateLimit: each client has its own bucket", async () => {
  const { get } = appWith({ ratePerSecond: 1, burst: 1 });
  deepStrictEqual((await get("a")).status, 200);
  deepStrictEqual((await get("a")).status, 429);
  deepStrictEqual((await get("b")).status, 200);
});

Deno.test("rateLimit: memory is bounded; the least recently seen client is forgotten", async () => {
  const { get } = appWith({ ratePerSecond: 1, burst: 1, maxClients: 2 });
  deepStrictEqual((await get("a")).status, 200);
  deepStrictEqual((await get("b")).status, 200);
  deepStrictEqual((await get("c")).status, 200); // forgets a
  deepStrictEqual((await get("c")).status, 429);
  deepStrictEqual((await get("a")).status, 200); // a starts afresh
});
