/**
 * Reads the `compile` task from deno.json, so tests run the app with exactly the permissions
 * and embedded files the released binary gets, and cannot drift from it.
 *
 * @module
 */

export interface CompileTask {
  /** Permission flags as written, e.g. `--allow-net`, `--allow-read`. */
  permissions: string[];
  /** Other flags baked into the binary, as written (`--v8-flags=...`, `--unstable-net`). */
  runtimeFlags: string[];
  /** `--include` paths, relative to the project root. */
  includes: string[];
  /** The `-o`/`--output` path, relative to the project root. */
  output: string;
  /** The entry module, relative to the project root. */
  entry: string;
}

const ROOT = new URL("../", import.meta.url);

/** Parses `deno compile ...`; throws on anything it does not understand rather than guess. */
export function parseCompileTask(command: string): CompileTask {
  if (/["'`$\\;&|]/.test(command)) throw new Error(`compile task must be plain words: ${command}`);
  const words = command.trim().split(/\s+/);
  if (words[0] !== "deno" || words[1] !== "compile") {
    throw new Error(`compile task must start with "deno compile": ${command}`);
  }
  const task: CompileTask = {
    permissions: [],
    runtimeFlags: [],
    includes: [],
    output: "",
    entry: "",
  };
  const positional: string[] = [];
  for (let i = 2; i < words.length; i++) {
    const word = words[i];
    const [flag, inline] = word.split(/=(.*)/s, 2);
    const value = () => inline ?? words[++i];
    if (flag.startsWith("--allow-") || flag === "-A") task.permissions.push(word);
    else if (flag === "--v8-flags" && inline) task.runtimeFlags.push(word);
    else if (/^--unstable-[a-z-]+$/.test(word)) task.runtimeFlags.push(word);
    else if (flag === "--include") task.includes.push(value().replace(/\/$/, ""));
    else if (flag === "-o" || flag === "--output") task.output = value();
    else if (flag.startsWith("-")) throw new Error(`unexpected flag in compile task: ${word}`);
    else positional.push(word);
  }
  if (positional.length !== 1) throw new Error(`expected one entry module, got ${positional}`);
  task.entry = positional[0];
  return task;
}

/** The project's compile task, parsed. */
export async function readCompileTask(): Promise<CompileTask> {
  const config = JSON.parse(await Deno.readTextFile(new URL("deno.json", ROOT)));
  const command = config.tasks?.compile;
  if (typeof command !== "string") throw new Error("deno.json has no compile task");
  return parseCompileTask(command);
}
