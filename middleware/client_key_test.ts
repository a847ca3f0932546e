import { Hono } from "hono";
import { assertEquals } from "../lib/assert.ts";
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
  assertEquals(await client(), "10.0.0.1");
  assertEquals(await client({ "X-Forwarded-For": "1.2.3.4" }), "10.0.0.1");
});

Deno.test("identifyClients: behind a trusted proxy, the address the proxy appended", async () => {
  const client = appWith(true);
  assertEquals(await client({ "X-Forwarded-For": "6.6.6.6, 1.2.3.4" }), "1.2.3.4");
  assertEquals(await client(), "10.0.0.1");
});
