/**
 * main.ts as a process, with the production permissions (--allow-net --allow-read
 * --allow-env): the start-up line, healthcheck, a missing models folder, bad flags, SIGTERM.
 */
import { assert, assertEquals } from "../lib/assert.ts";
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

/** Starts the server on port 0 and waits for its start-up line. */
async function start(args: string[]) {
  const child = new Deno.Command(Deno.execPath(), {
    args: ["run", ...PERMISSIONS, MAIN, "--port", "0", ...args],
    cwd: "/",
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let output = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) output += decoder.decode(chunk, { stream: true });
  };
  const collecting = Promise.all([collect(child.stdout), collect(child.stderr)]);
  const deadline = Date.now() + 30_000;
  let match: RegExpExecArray | null = null;
  while (!(match = /listening on (http:\/\/\S+?)\/ .*ready in (\d+) ms/.exec(output))) {
    if (Date.now() > deadline) {
      child.kill();
      await collecting;
      throw new Error(`no start-up line:\n${output}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  return {
    url: match[1],
    readyMs: Number(match[2]),
    output: () => output,
    async stop() {
      child.kill("SIGTERM");
      const status = await child.status;
      await collecting;
      return status.code;
    },
  };
}

Deno.test("main: serves, says where, answers healthcheck, exits 0 on SIGTERM", async () => {
  const dir = await writeTestModels(["cnn-aug"]);
  try {
    const server = await start(["--models", dir]);
    try {
      assert(server.readyMs < 5000, `ready after ${server.readyMs} ms`);
      const health = await fetch(`${server.url}/health`);
      assertEquals((await health.json()).status, "healthy");
      const port = new URL(server.url).port;
      const check = await run(["healthcheck", "--port", port]);
      assertEquals(check.code, 0, check.output);
    } finally {
      assertEquals(await server.stop(), 0, server.output());
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main: without a models folder it starts, explains, and reports unhealthy", async () => {
  const server = await start(["--models", "/nonexistent/digitlab-models"]);
  try {
    assert(server.output().includes("does not exist"), server.output());
    const health = await fetch(`${server.url}/health`);
    assertEquals(health.status, 503);
    await health.body?.cancel();
    const check = await run(["healthcheck", "--port", new URL(server.url).port]);
    assertEquals(check.code, 1, check.output);
  } finally {
    await server.stop();
  }
});

Deno.test("main: a named model that is missing stops start-up with a clear message", async () => {
  const dir = await writeTestModels(["mlp"]);
  try {
    const result = await run(["--port", "0", "--models", dir, "--model", "nope"]);
    assertEquals(result.code, 1);
    assert(result.output.includes('model "nope" is not in') && result.output.includes("mlp"));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("main: --help, --version, bad flags, and healthcheck with nothing listening", async () => {
  const help = await run(["--help"]);
  assertEquals(help.code, 0);
  for (const word of ["--host", "--port", "--models", "--model", "healthcheck", "HOST", "PORT"]) {
    assert(help.output.includes(word), `--help lacks ${word}`);
  }
  const version = await run(["--version"]);
  assert(/^digitlab \d+\.\d+\.\d+/.test(version.output), version.output);
  const bad = await run(["--colour", "blue"]);
  assertEquals(bad.code, 2);
  assert(bad.output.includes("--colour"), bad.output);
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  const check = await run(["healthcheck", "--port", `${port}`]);
  assertEquals(check.code, 1, check.output);
});
