/**
 * `/openapi.json` and `/docs`: Swagger UI from the npm package, served by this process (no
 * CDN), so the docs work offline and inside a compiled binary.
 *
 * @module
 */
import { Hono } from "hono";
import type { RouterRoute } from "hono/types";
import { docsSecurityHeaders } from "../../middleware/security_headers.ts";
import { DOCS_CSS, DOCS_HEADER } from "./docs_theme.ts";
import { openApiDocument } from "./openapi.ts";

/** The Swagger UI files we serve: a compiled binary must `--include` them. */
export const SWAGGER_UI_FILES: Record<string, { url: URL; type: string }> = {
  "swagger-ui.css": {
    url: new URL(import.meta.resolve("swagger-ui-dist/swagger-ui.css")),
    type: "text/css; charset=utf-8",
  },
  "swagger-ui-bundle.js": {
    url: new URL(import.meta.resolve("swagger-ui-dist/swagger-ui-bundle.js")),
    type: "text/javascript; charset=utf-8",
  },
};

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<title>digitlab API</title>
<link rel="icon" href="data:,">
<link rel="stylesheet" href="/docs/swagger-ui.css">
<link rel="stylesheet" href="/docs/theme.css">
</head>
<body>
${DOCS_HEADER}
<main id="swagger-ui"></main>
<script src="/docs/swagger-ui-bundle.js"></script>
<script src="/docs/init.js"></script>
</body>
</html>
`;

// An external file rather than an inline script, so the page keeps script-src 'self'.
const INIT = `window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
`;

/** `routes` are the routes to document, read once on the first request for the document. */
export function docsRoutes(routes: () => readonly RouterRoute[]): Hono {
  const app = new Hono();
  const files = new Map<string, Promise<Uint8Array<ArrayBuffer>>>();
  let openapi: string | undefined;

  app.get("/openapi.json", function openapiDocument(c) {
    openapi ??= JSON.stringify(openApiDocument(routes()));
    return c.body(openapi, 200, { "Content-Type": "application/json; charset=utf-8" });
  });
  app.get("/docs", docsSecurityHeaders(), function docsPage(c) {
    return c.html(PAGE);
  });
  app.get("/docs/theme.css", function docsTheme(c) {
    return c.body(DOCS_CSS, 200, { "Content-Type": "text/css; charset=utf-8" });
  });
  app.get("/docs/init.js", function docsInit(c) {
    return c.body(INIT, 200, { "Content-Type": "text/javascript; charset=utf-8" });
  });
  app.get("/docs/:file", async function docsAsset(c) {
    const name = c.req.param("file");
    // Own keys only: "toString" or "constructor" are not files.
    if (!Object.hasOwn(SWAGGER_UI_FILES, name)) return c.notFound();
    const file = SWAGGER_UI_FILES[name];
    // Read on first use (1.5 MB of script most processes never serve), then from memory.
    let bytes = files.get(file.url.href);
    if (!bytes) {
      bytes = Deno.readFile(file.url);
      files.set(file.url.href, bytes);
      bytes.catch(() => files.delete(file.url.href));
    }
    return c.body(await bytes, 200, {
      "Content-Type": file.type,
      "Cache-Control": "public, max-age=3600",
    });
  });
  return app;
}
