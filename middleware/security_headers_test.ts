import { deepStrictEqual } from "node:assert/strict";
import { Hono } from "hono";
import {
  defaultSecurityHeaders,
  docsSecurityHeaders,
  pageSecurityHeaders,
} from "./security_headers.ts";

const app = new Hono();
app.use(defaultSecurityHeaders());
app.get("/", pageSecurityHeaders(), (c) => c.html("<p>page</p>"));
app.get("/docs", docsSecurityHeaders(), (c) => c.html("<p>docs</p>"));
app.get("/models", (c) => c.json({ models: [] }));
app.get("/static/app.js", (c) => c.body("1", 200, { "Content-Type": "text/javascript" }));
app.get("/boom", () => {
  throw new Error("boom");
});
app.onError((_error, c) => c.json({ error: "internal_error" }, 500));

const EVERY_RESPONSE = {
  "cross-origin-opener-policy": "same-origin",
  "cross-origin-resource-policy": "same-origin",
  "referrer-policy": "no-referrer",
  "x-content-type-options": "nosniff",
  "x-frame-options": "DENY",
};

async function securityHeaders(path: string): Promise<Record<string, string>> {
  const response = await app.request(path);
  await response.body?.cancel();
  return Object.fromEntries([...response.headers].filter(([name]) => name !== "content-type"));
}

Deno.test("security headers: the page, /docs, JSON, static files and errors, each listed", async () => {
  deepStrictEqual(await securityHeaders("/"), {
    ...EVERY_RESPONSE,
    "content-security-policy": "default-src 'self'; script-src 'self'; style-src 'self'; " +
      "img-src 'self' data: blob:; connect-src 'self'; font-src 'self'; object-src 'none'; " +
      "base-uri 'none'; form-action 'self'; frame-ancestors 'none'",
    "permissions-policy": "camera=(), microphone=(), geolocation=()",
  });
  deepStrictEqual(await securityHeaders("/docs"), {
    ...EVERY_RESPONSE,
    "content-security-policy": "default-src 'self'; script-src 'self'; " +
      "style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; " +
      "object-src 'none'; base-uri 'none'; frame-ancestors 'none'",
  });
  const loadNothing = {
    ...EVERY_RESPONSE,
    "content-security-policy": "default-src 'none'; frame-ancestors 'none'",
  };
  for (const path of ["/models", "/static/app.js", "/boom", "/no-such-route"]) {
    deepStrictEqual(await securityHeaders(path), loadNothing, path);
  }
});
