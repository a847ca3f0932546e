import { Hono } from "hono";
import { deepStrictEqual } from "node:assert/strict";
import { clientOf, identifyClients } from "./client_key.ts";

function appWith(trustProxy: boolean) {
  const app = new Hono();
  app.use(identifyClients({ trustProxy }));
  app.get("/", (c) => c.text(clientOf(c)));
  const env = { remoteAddr: { hostname: "10.0.0.1" } };
  return async (headers: HeadersInit = {}) =>
    await (await app.request("/", { headers }, env)).text();
}

Deno.test("identifyClients: the peer address unless a proxy is trusted", async () => {
  const client = appWith(false);
  deepStrictEqual(await client(), "10.0.0.1");
  deepStrictEqual(await client({ "X-Forwarded-For": "1.2.3.4" }), "10.0.0.1");
});

Deno.test("identifyClients: behind a trusted proxy, the address the proxy appended", async () => {
  const client = appWith(true);
  deepStrictEqual(await client({ "X-Forwarded-For": "6.6.6.6, 1.2.3.4" }), "1.2.3.4");
  deepStrictEqual(await client(), "10.0.0.1");
});
