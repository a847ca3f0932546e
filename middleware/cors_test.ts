import { Hono } from "hono";
import { deepStrictEqual } from "node:assert/strict";
import { corsAllowList } from "./cors.ts";

function appWith(origins: string[]) {
  const app = new Hono();
  app.use(corsAllowList(origins));
  app.post("/predict", (c) => c.json({ result: 7 }));
  return app;
}

Deno.test("corsAllowList: a listed origin may read answers; others get no CORS headers", async () => {
  const app = appWith(["https://allowed.example"]);
  const allowed = await app.request("/predict", {
    method: "POST",
    headers: { Origin: "https://allowed.example" },
  });
  deepStrictEqual(allowed.headers.get("access-control-allow-origin"), "https://allowed.example");
  deepStrictEqual(allowed.headers.get("vary"), "Origin");
  const other = await app.request("/predict", {
    method: "POST",
    headers: { Origin: "https://evil.example" },
  });
  deepStrictEqual(other.headers.get("access-control-allow-origin"), null);
});

Deno.test("corsAllowList: preflights name the methods and headers allowed", async () => {
  const app = appWith(["https://allowed.example"]);
  const preflight = await app.request("/predict", {
    method: "OPTIONS",
    headers: {
      Origin: "https://allowed.example",
      "Access-Control-Request-Method": "POST",
      "Access-Control-Request-Headers": "content-type",
    },
  });
  deepStrictEqual(preflight.status, 204);
  deepStrictEqual(preflight.headers.get("access-control-allow-origin"), "https://allowed.example");
  deepStrictEqual(preflight.headers.get("access-control-allow-methods"), "GET,POST,OPTIONS");
  deepStrictEqual(preflight.headers.get("access-control-allow-headers"), "Content-Type");
});

Deno.test("corsAllowList: * allows any origin", async () => {
  const response = await appWith(["*"]).request("/predict", {
    method: "POST",
    headers: { Origin: "https://anyone.example" },
  });
  deepStrictEqual(response.headers.get("access-control-allow-origin"), "*");
});
