import { Hono } from "hono";
import assert, { deepStrictEqual } from "node:assert/strict";
import type { AssetManifest } from "./manifest.ts";
import { chooseEncoding, etagMatches, staticFiles } from "./static_files.ts";

const JS = "console.log('hello from a hashed file');";

/** A build dir made by hand: one hashed file with a gzip sibling, plus a manifest. */
async function fixture() {
  const buildDir = await Deno.makeTempDir({ prefix: "digitlab_static_" });
  await Deno.mkdir(`${buildDir}/static`);
  await Deno.writeTextFile(`${buildDir}/static/app-ABCD1234.js`, JS);
  await Deno.writeFile(`${buildDir}/static/app-ABCD1234.js.gz`, new Uint8Array([1, 2, 3]));
  await Deno.writeTextFile(`${buildDir}/secret.txt`, "outside static/");
  const manifest: AssetManifest = {
    inputs: [],
    inputsHash: "",
    builtAt: "",
    islands: {},
    islandImports: {},
    styles: [],
    assets: {},
    files: {
      "app-ABCD1234.js": {
        contentType: "text/javascript; charset=utf-8",
        etag: "abc123",
        size: JS.length,
        encodings: ["gzip"],
      },
    },
  };
  const app = new Hono().get("/static/*", staticFiles({ buildDir, manifest }));
  return { app, cleanup: () => Deno.remove(buildDir, { recursive: true }) };
}

Deno.test("a hashed file is served with its type, an ETag and immutable caching", async () => {
  const { app, cleanup } = await fixture();
  try {
    const res = await app.request("/static/app-ABCD1234.js");
    deepStrictEqual(res.status, 200);
    deepStrictEqual(await res.text(), JS);
    deepStrictEqual(res.headers.get("content-type"), "text/javascript; charset=utf-8");
    deepStrictEqual(res.headers.get("cache-control"), "public, max-age=31536000, immutable");
    deepStrictEqual(res.headers.get("etag"), '"abc123"');
    deepStrictEqual(res.headers.get("vary"), "Accept-Encoding");
    deepStrictEqual(res.headers.get("content-encoding"), null);
  } finally {
    await cleanup();
  }
});

Deno.test("the precompressed sibling is served to clients that accept it", async () => {
  const { app, cleanup } = await fixture();
  try {
    const res = await app.request("/static/app-ABCD1234.js", {
      headers: { "Accept-Encoding": "gzip, deflate, br" },
    });
    deepStrictEqual(res.headers.get("content-encoding"), "gzip");
    deepStrictEqual(res.headers.get("etag"), '"abc123-gzip"');
    deepStrictEqual([...new Uint8Array(await res.arrayBuffer())], [1, 2, 3]);
  } finally {
    await cleanup();
  }
});

Deno.test("a matching If-None-Match gets 304 without a body", async () => {
  const { app, cleanup } = await fixture();
  try {
    const res = await app.request("/static/app-ABCD1234.js", {
      headers: { "If-None-Match": 'W/"abc123"' },
    });
    deepStrictEqual(res.status, 304);
    deepStrictEqual(await res.text(), "");
    deepStrictEqual(res.headers.get("etag"), '"abc123"');
    const changed = await app.request("/static/app-ABCD1234.js", {
      headers: { "If-None-Match": '"something-else"' },
    });
    deepStrictEqual(changed.status, 200);
    await changed.body?.cancel();
  } finally {
    await cleanup();
  }
});

Deno.test("HEAD answers with the headers and no body", async () => {
  const { app, cleanup } = await fixture();
  try {
    const res = await app.request("/static/app-ABCD1234.js", { method: "HEAD" });
    deepStrictEqual(res.status, 200);
    deepStrictEqual(res.headers.get("content-length"), String(JS.length));
    deepStrictEqual(await res.text(), "");
  } finally {
    await cleanup();
  }
});

Deno.test("names outside the manifest are 404, traversal attempts included", async () => {
  const { app, cleanup } = await fixture();
  try {
    for (
      const path of [
        "/static/missing-00000000.js",
        "/static/app-ABCD1234.js.gz",
        "/static/../secret.txt",
        "/static/%2e%2e/secret.txt",
        "/static/..%2fsecret.txt",
        "/static/constructor",
        "/static/",
      ]
    ) {
      const res = await app.request(path);
      deepStrictEqual(res.status, 404, path);
      assert(!(await res.text()).includes("outside"), path);
    }
  } finally {
    await cleanup();
  }
});

Deno.test("chooseEncoding prefers brotli, honours q=0 and falls back to identity", () => {
  deepStrictEqual(chooseEncoding("gzip, br", ["br", "gzip"]), "br");
  deepStrictEqual(chooseEncoding("gzip, br;q=0", ["br", "gzip"]), "gzip");
  deepStrictEqual(chooseEncoding("br", ["gzip"]), null);
  deepStrictEqual(chooseEncoding("", ["br", "gzip"]), null);
  deepStrictEqual(chooseEncoding("*", ["gzip"]), "gzip");
});

Deno.test("etagMatches compares weakly and accepts lists and *", () => {
  assert(etagMatches('"a", W/"b"', '"b"'));
  assert(etagMatches("*", '"x"'));
  assert(!etagMatches('"a"', '"ab"'));
  assert(!etagMatches(undefined, '"a"'));
});
