/**
 * A compiled binary embeds its module graph, but files the app *reads* (the UI build, models,
 * the ONNX runtime's wasm, Swagger UI's files) exist in it only when `deno compile --include`s
 * them. Deno's permission audit log (DENO_AUDIT_PERMISSIONS) records every path the app asks
 * to read, so run the server with the release permissions, use every route and model, and
 * check that each path read lies under an included path.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { modelOfOnnxFile } from "../lib/model_metadata.ts";
import { ORT_WASM_URL } from "../inference/onnx_runtime.ts";
import { defaultBuildDir, MANIFEST_FILE, STATIC_DIR } from "../web/server/manifest.ts";
import { joinPath } from "../lib/join_path.ts";
import { readCompileTask } from "./compile_task.ts";
import {
  ensureUiBuild,
  localAssetPaths,
  modelsPresent,
  ROOT_DIR,
  startRelease,
} from "./release_server.ts";

const DRAWN_SEVEN = new URL("./fixtures/drawn-7.png", import.meta.url);

const task = await readCompileTask();
const includedDirs = task.includes.map((path) => `${ROOT_DIR}/${path}`);
const ready = await modelsPresent("compile_includes_test");

/**
 * Modules `deno compile` embeds: the entry's graph and the graphs of --include'd modules (the
 * inference worker). A Worker loading its modules asks for read permission on each of them.
 */
const embeddedModules = new Set(
  (await Promise.all(
    task.includes.filter((path) => path.endsWith(".ts")).map(async (path) => {
      const { stdout } = await new Deno.Command(Deno.execPath(), {
        args: ["info", "--json", `${ROOT_DIR}/${path}`],
        stdout: "piped",
      }).output();
      const graph = JSON.parse(new TextDecoder().decode(stdout)) as {
        modules: { specifier: string }[];
      };
      return graph.modules.map((module) => module.specifier);
    }),
  )).flat(),
);

function isIncluded(path: string): boolean {
  if (embeddedModules.has(path)) return true;
  return includedDirs.some((dir) => path === dir || path.startsWith(`${dir}/`));
}

Deno.test("the build, the models and the ONNX runtime's wasm are included", async () => {
  await ensureUiBuild();
  for (const dir of includedDirs) await Deno.stat(dir);
  const runtimeFiles = {
    "onnxruntime wasm": ORT_WASM_URL.pathname,
    "UI manifest": joinPath(defaultBuildDir(), MANIFEST_FILE),
    "UI static files": joinPath(defaultBuildDir(), STATIC_DIR),
    "shipped models": `${ROOT_DIR}/models`,
  };
  for (const [what, path] of Object.entries(runtimeFiles)) {
    assert(isIncluded(path), `${what} (${path}) is not under any --include: ${task.includes}`);
  }
});

interface AuditEntry {
  permission: string;
  value?: string;
}

/** Uses every route the app has, with every model, so each runtime read happens. */
async function exerciseEverything(url: string, modelNames: string[]): Promise<void> {
  const get = async (path: string) => {
    const response = await fetch(`${url}${path}`);
    const text = await response.text();
    deepStrictEqual(response.status, 200, `GET ${path}: ${text.slice(0, 300)}`);
    return text;
  };
  for (const page of ["/", "/docs"]) {
    const html = await get(page);
    for (const asset of localAssetPaths(html)) await get(asset);
  }
  for (const path of ["/health", "/model_info", "/models", "/openapi.json"]) await get(path);

  const png = await Deno.readFile(DRAWN_SEVEN);
  for (const model of modelNames) {
    const form = new FormData();
    form.append("img", new Blob([png], { type: "image/png" }), "image.png");
    const response = await fetch(`${url}/predict?model=${model}`, { method: "POST", body: form });
    const text = await response.text();
    deepStrictEqual(response.status, 200, `POST /predict?model=${model}: ${text}`);
  }
}

Deno.test({
  name: "every file the running server reads lies under a --include path",
  ignore: !ready,
  async fn() {
    await ensureUiBuild();
    const cwd = await Deno.makeTempDir({ prefix: "digitlab_includes_" });
    const auditLog = `${cwd}/audit.jsonl`;
    const modelNames = [
      ...new Set(
        [...Deno.readDirSync(`${ROOT_DIR}/models`)].map((e) => e.isFile && modelOfOnnxFile(e.name))
          .filter((name): name is string => !!name),
      ),
    ];
    const server = await startRelease(task.entry, task.permissions, cwd, {
      DENO_AUDIT_PERMISSIONS: auditLog,
    });
    try {
      await exerciseEverything(server.url, modelNames);
    } finally {
      await server.stop();
    }
    try {
      const entries = (await Deno.readTextFile(auditLog)).trim().split("\n")
        .map((line) => JSON.parse(line) as AuditEntry);
      const reads = [
        ...new Set(
          entries.filter((e) => e.permission === "read").map((e) => e.value?.replace(/\/$/, "")),
        ),
      ];
      assert(reads.includes(ORT_WASM_URL.pathname), "the audit log missed the wasm: is it on?");
      const outside = reads.filter((path) => path === undefined || !isIncluded(path));
      deepStrictEqual(outside, [], `read at run time but not --include'd: ${outside.join(", ")}`);

      // A named --allow-env list must name every variable the app (or a package) asks for.
      const envFlag = task.permissions.find((flag) => flag.startsWith("--allow-env="));
      if (envFlag) {
        const allowed = envFlag.slice("--allow-env=".length).split(",");
        const asked = [
          ...new Set(entries.filter((e) => e.permission === "env").map((e) => e.value)),
        ];
        const missing = asked.filter((name) => !allowed.includes(name ?? ""));
        deepStrictEqual(missing, [], `variables read but not in ${envFlag}`);
      }
    } finally {
      await Deno.remove(cwd, { recursive: true });
    }
  },
});
