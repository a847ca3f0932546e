/**
 * Starts `main.ts` the way the released binary runs: in its own process, from a working
 * directory that is not the project, with chosen permission flags. Shared by the release smoke
 * test and the compile-includes test.
 *
 * @module
 */

import { startServerProcess } from "./helpers/server_process.ts";

export const ROOT_DIR = new URL("../", import.meta.url).pathname.replace(/\/$/, "");

const READY_TIMEOUT_MS = 30_000;

export interface RunningRelease {
  url: string;
  /** Everything the process wrote so far (stdout and stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
  /** Its `--data-dir` (the feedback database). */
  dataDir: string;
}

/** A TCP port nobody listens on right now. */
export function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const { port } = listener.addr as Deno.NetAddr;
  listener.close();
  return port;
}

/** Runs `deno run <permissions> <entry> <args>` from `cwd` and collects its output. */
export async function runEntry(
  entry: string,
  permissions: string[],
  args: string[],
  cwd: string,
): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...permissions, `${ROOT_DIR}/${entry}`, ...args],
    cwd,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

/**
 * Starts the server (through startServerProcess, on a port the OS picks) and waits until
 * `/health` answers 200.
 */
export async function startRelease(
  entry: string,
  permissions: string[],
  cwd: string,
  env: Record<string, string> = {},
): Promise<RunningRelease> {
  const server = await startServerProcess({
    entry: `${ROOT_DIR}/${entry}`,
    permissions,
    cwd,
    env,
  });
  const stop = async () => {
    await server.stop();
  };
  const deadline = Date.now() + READY_TIMEOUT_MS;
  while (true) {
    const response = await fetch(`${server.url}/health`).catch(() => null);
    await response?.body?.cancel();
    if (response?.ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`server not healthy after ${READY_TIMEOUT_MS} ms:\n${server.output()}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  return { url: server.url, output: server.output, stop, dataDir: server.dataDir };
}

/** True when the shipped models are present; skips locally, fails under CI=true otherwise. */
export async function modelsPresent(testName: string): Promise<boolean> {
  let onnxCount = 0;
  try {
    for await (const entry of Deno.readDir(`${ROOT_DIR}/models`)) {
      if (entry.isFile && entry.name.endsWith(".onnx")) onnxCount++;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (onnxCount > 0) return true;
  if (Deno.env.get("CI") === "true") {
    throw new Error(`${testName}: no models/*.onnx under CI=true; the shipped models must exist`);
  }
  console.warn(`${testName}: skipped, no models/*.onnx yet (deno task train)`);
  return false;
}

/**
 * Makes sure `build/` holds the web UI: the server serves it from there and the binary embeds
 * it. CI does not run `deno task build` before the tests, so build when it is missing.
 */
export async function ensureUiBuild(): Promise<void> {
  try {
    await Deno.stat(`${ROOT_DIR}/build/manifest.json`);
    return;
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  const { success, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["task", "build"],
    cwd: ROOT_DIR,
    stdout: "null",
    stderr: "piped",
  }).output();
  if (!success) throw new Error(`deno task build failed:\n${new TextDecoder().decode(stderr)}`);
}

/** Same-origin URLs a page loads: `src`/`href` attributes that start with "/" (not "//"). */
export function localAssetPaths(html: string): string[] {
  const paths = [...html.matchAll(/\b(?:src|href)="(\/(?!\/)[^"]*)"/g)].map((m) => m[1]);
  return [...new Set(paths)];
}
