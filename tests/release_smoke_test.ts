/**
 * Release smoke test. `deno compile` cannot run here (it downloads `denort`), so run `main.ts`
 * as the binary would: with exactly the compile task's permission flags (read from deno.json),
 * from a working directory that is not the project, and use the UI, `/predict` and `/docs`.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { readCompileTask } from "./compile_task.ts";
import {
  ensureUiBuild,
  freePort,
  localAssetPaths,
  modelsPresent,
  runEntry,
  startRelease,
} from "./release_server.ts";

// A 7 drawn with two round strokes on a 280x280 canvas (synthetic, not MNIST).
const DRAWN_SEVEN = new URL("./fixtures/drawn-7.png", import.meta.url);

const task = await readCompileTask();
const ready = await modelsPresent("release_smoke_test");

Deno.test("compile task grants only network, read and environment access", () => {
  const granted = task.permissions.map((flag) => flag.split("=")[0]).sort();
  deepStrictEqual(granted, ["--allow-env", "--allow-net", "--allow-read"]);
});

Deno.test({
  name: "--version and --help work with the release permissions from anywhere",
  async fn() {
    const cwd = await Deno.makeTempDir({ prefix: "digitlab_release_" });
    try {
      const version = await runEntry(task.entry, task.permissions, ["--version"], cwd);
      deepStrictEqual(version.code, 0, version.output);
      assert(/\d+\.\d+\.\d+/.test(version.output), `no version number in: ${version.output}`);
      const help = await runEntry(task.entry, task.permissions, ["--help"], cwd);
      deepStrictEqual(help.code, 0, help.output);
      for (const flag of ["--host", "--port", "--models", "healthcheck"]) {
        assert(help.output.includes(flag), `--help does not mention ${flag}`);
      }
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});

Deno.test({
  name: "release permissions from another directory: UI, /predict, /docs and healthcheck",
  ignore: !ready,
  async fn() {
    await ensureUiBuild();
    const cwd = await Deno.makeTempDir({ prefix: "digitlab_release_" });
    const server = await startRelease(task.entry, task.permissions, cwd);
    try {
      const failure = (what: string) => `${what}\n--- server output ---\n${server.output()}`;

      const page = await fetch(`${server.url}/`);
      const html = await page.text();
      deepStrictEqual(page.status, 200, failure("GET /"));
      assert(page.headers.get("content-type")?.startsWith("text/html"), "/ is not HTML");
      const assets = localAssetPaths(html).filter((p) => p.startsWith("/static/"));
      assert(assets.length > 0, failure(`the UI page links no /static/ assets:\n${html}`));
      for (const path of assets) {
        const asset = await fetch(`${server.url}${path}`);
        await asset.body?.cancel();
        deepStrictEqual(asset.status, 200, failure(`GET ${path}`));
      }

      const form = new FormData();
      const png = await Deno.readFile(DRAWN_SEVEN);
      form.append("img", new Blob([png], { type: "image/png" }), "image.png");
      const predicted = await fetch(`${server.url}/predict`, { method: "POST", body: form });
      const body = await predicted.json();
      deepStrictEqual(predicted.status, 200, failure(`POST /predict: ${JSON.stringify(body)}`));
      deepStrictEqual(body.result, 7, `predicted ${JSON.stringify(body)}`);
      deepStrictEqual(body.probabilities.length, 10);

      const docs = await fetch(`${server.url}/docs`);
      const docsHtml = await docs.text();
      deepStrictEqual(docs.status, 200, failure("GET /docs"));
      const docsAssets = localAssetPaths(docsHtml);
      assert(docsAssets.length > 0, "/docs loads no same-origin assets (Swagger UI from a CDN?)");
      for (const path of docsAssets) {
        const asset = await fetch(`${server.url}${path}`);
        await asset.body?.cancel();
        deepStrictEqual(asset.status, 200, failure(`GET ${path} (from /docs)`));
      }

      const port = new URL(server.url).port;
      const healthy = await runEntry(task.entry, task.permissions, [
        "healthcheck",
        "--port",
        port,
      ], cwd);
      deepStrictEqual(healthy.code, 0, `healthcheck against a live server: ${healthy.output}`);
      const unhealthy = await runEntry(task.entry, task.permissions, [
        "healthcheck",
        "--port",
        `${freePort()}`,
      ], cwd);
      assert(unhealthy.code !== 0, "healthcheck succeeded with nothing listening");
    } finally {
      await server.stop();
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
