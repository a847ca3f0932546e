/**
 * The memory settings measured in docs/performance.md (RSS under load <= 250 MB) must reach
 * every way of running digitlab: `deno task start`, the compiled binary, the systemd unit and
 * the container image.
 */
import assert from "node:assert/strict";
import { readCompileTask } from "./compile_task.ts";

const ROOT = new URL("../", import.meta.url);
const V8_FLAGS = "--v8-flags=--max-semi-space-size=4";
const MALLOC_ENV = "MALLOC_ARENA_MAX=2 MALLOC_MMAP_THRESHOLD_=65536";

const read = (path: string) => Deno.readTextFile(new URL(path, ROOT));

Deno.test("deno task start runs with the V8 flag and the malloc settings", async () => {
  const start = JSON.parse(await read("deno.json")).tasks.start.command as string;
  assert(start.startsWith(`${MALLOC_ENV} deno run ${V8_FLAGS} `), start);
});

Deno.test("the compiled binary has the V8 flag built in", async () => {
  const task = await readCompileTask();
  assert(task.runtimeFlags.includes(V8_FLAGS), `compile task flags: ${task.runtimeFlags}`);
});

Deno.test("the systemd unit and the container image set the malloc settings", async () => {
  const unit = await read("systemd/digitlab.service");
  assert(unit.split("\n").includes(`Environment=${MALLOC_ENV}`), "systemd unit");
  const dockerfile = await read("Dockerfile");
  assert(dockerfile.split("\n").includes(`ENV ${MALLOC_ENV}`), "Dockerfile");
});
