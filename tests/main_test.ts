/**
 * main.ts as a process, with the production permissions (--allow-net --allow-read
 * --allow-env): the start-up line, healthcheck, a missing models folder, bad flags, SIGTERM.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { startServerProcess } from "./helpers/server_process.ts";
import { writeTestModels } from "./helpers/test_models.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const PERMISSIONS = ["--allow-net", "--allow-read", "--allow-env"];

async function run(args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, ...args],
    cwd: "/",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/** Starts the server on port 0 (through startServerProcess) and reads its start-up time. */
async function start(args: string[]) {
  const server = await startServerProcess({ args, permissions: PERMISSIONS });
  const ready = /ready in (\d+) ms/.exec(server.output());
  return { ...server, readyMs: ready ? Number(ready[1]) : Infinity };
}

Deno.test("main: serves, says where, answers healthcheck, exits 0 on SIGTERM", async () => {
  const dir = await writeTestModels(["cnn-aug"]);
  try {
    const server = await start(["--models", dir]);
    try {
      assert(server.readyMs < 5000, `ready after ${server.readyMs} ms`);
      const health = await fetch(`${server.url}/health`);
      deepStrictEqual((await health.json()).status, "healthy");
      const port = new URL(server.url).port;
      const check = await run(["healthcheck", "--port", port]);
      deepStrictEqual(check.code, 0, check.output);
    } finally {
      deepStrictEqual(await server.stop(), 0, server.output());
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main: answering predictions leaves the journal free of runtime warnings", async () => {
  const dir = await writeTestModels(["cnn-aug"]);
  try {
    const server = await start(["--models", dir, "--log-format", "none"]);
    try {
      const png = await Deno.readFile(new URL("../bench/payloads/digit-28.png", import.meta.url));
      const form = new FormData();
      form.append("img", new Blob([png], { type: "image/png" }), "digit.png");
      for (let i = 0; i < 3; i++) {
        const answer = await fetch(`${server.url}/predict`, { method: "POST", body: form });
        const text = await answer.text();
        deepStrictEqual(answer.status, 200, text);
      }
    } finally {
      deepStrictEqual(await server.stop(), 0, server.output());
    }
    // Deno prints deprecation notes (e.g. on request.signal's legacy abort) to stderr once.
    const lines = server.output().split("\n").filter((line) => line.trim() !== "");
    const unexpected = lines.filter((line) => !/^digitlab[ :]/.test(line));
    deepStrictEqual(unexpected.join("\n"), "");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main: without a models folder it starts, explains, and reports unhealthy", async () => {
  const server = await start(["--models", "/nonexistent/digitlab-models"]);
  try {
    assert(server.output().includes("does not exist"), server.output());
    const health = await fetch(`${server.url}/health`);
    deepStrictEqual(health.status, 503);
    await health.body?.cancel();
    const check = await run(["healthcheck", "--port", new URL(server.url).port]);
    deepStrictEqual(check.code, 1, check.output);
  } finally {
    await server.stop();
  }
});

Deno.test("main: a named model that is missing stops start-up with a clear message", async () => {
  const dir = await writeTestModels(["mlp"]);
  try {
    const result = await run(["--port", "0", "--models", dir, "--model", "nope"]);
    deepStrictEqual(result.code, 1);
    assert(result.output.includes('model "nope" is not in') && result.output.includes("mlp"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main: --help, --version, bad flags, and healthcheck with nothing listening", async () => {
  const help = await run(["--help"]);
  deepStrictEqual(help.code, 0);
  for (const word of ["--host", "--port", "--models", "--model", "healthcheck", "HOST", "PORT"]) {
    assert(help.output.includes(word), `--help lacks ${word}`);
  }
  const version = await run(["--version"]);
  assert(/^digitlab \d+\.\d+\.\d+/.test(version.output), version.output);
  const bad = await run(["--colour", "blue"]);
  deepStrictEqual(bad.code, 2);
  assert(bad.output.includes("--colour"), bad.output);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const check = await run(["healthcheck", "--port", `${port}`]);
  deepStrictEqual(check.code, 1, check.output);
});
