/**
 * Start-up with feedback on, as an operator meets it: a corrupt database or an unusable admin
 * token stops the start with a clear message and exit 1, and leaves the file as it was.
 */
import assert from "node:assert/strict";
import { readCompileTask } from "./compile_task.ts";

const MAIN = new URL("../main.ts", import.meta.url).pathname;
const task = await readCompileTask();

async function start(args: string[]): Promise<{ code: number; output: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", ...task.permissions, MAIN, "--port", "0", ...args],
    stdout: "piped",
    stderr: "piped",
    signal: AbortSignal.timeout(30_000),
  }).output();
  const decoder = new TextDecoder();
  return { code, output: decoder.decode(stdout) + decoder.decode(stderr) };
}

Deno.test("a corrupt feedback database stops the start with exit 1 and is left untouched", async () => {
  const dataDir = await Deno.makeTempDir({ prefix: "digitlab-corrupt-" });
  try {
    const junk = new TextEncoder().encode("SQLite format 3\0".padEnd(8192, "garbage "));
    await Deno.writeFile(`${dataDir}/feedback.sqlite3`, junk);
    const { code, output } = await start(["--data-dir", dataDir]);
    assert.equal(code, 1, output);
    assert.match(output, /feedback\.sqlite3 .*(integrity_check|not a usable digitlab database)/);
    assert.match(output, /left untouched: restore a backup or move it aside/);
    assert.doesNotMatch(output, /listening on/);
    assert.deepEqual(await Deno.readFile(`${dataDir}/feedback.sqlite3`), junk);
  } finally {
    await Deno.remove(dataDir, { recursive: true });
  }
});

Deno.test("an unreadable or too short admin token stops the start with exit 1", async () => {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-token-" });
  try {
    const missing = await start(["--data-dir", dir, "--admin-token-file", `${dir}/absent`]);
    assert.equal(missing.code, 1, missing.output);
    assert.match(missing.output, /cannot read the admin token file/);
    await Deno.writeTextFile(`${dir}/short`, "hunter2\n");
    const short = await start(["--data-dir", dir, "--admin-token-file", `${dir}/short`]);
    assert.equal(short.code, 1, short.output);
    assert.match(short.output, /at least 16 characters/);
    assert.doesNotMatch(short.output, /hunter2/, "the token is never printed");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
