/**
 * Runs `deno task train` in-process for tests, on temp folders, capturing what it prints.
 *
 * @module
 */
import { main, type TrainContext } from "./train.ts";

export interface TrainResult {
  code: number;
  out: string;
  err: string;
}

/** A project-like layout in a temp folder: `models/` and `build/runs/`. */
export interface TempProject {
  root: string;
  modelsDir: string;
  runsDir: string;
}

/** Makes a TempProject; the caller removes `root`. */
export async function tempProject(): Promise<TempProject> {
  const root = await Deno.makeTempDir({ prefix: "digitlab-train-" });
  await Deno.mkdir(`${root}/models`);
  return { root, modelsDir: `${root}/models`, runsDir: `${root}/build/runs` };
}

export async function runTrain(
  args: string[],
  context: Pick<TrainContext, "modelsDir" | "runsDir"> & Partial<TrainContext>,
): Promise<TrainResult> {
  const out: string[] = [], err: string[] = [];
  let tick = 0;
  const code = await main(args, {
    env: { MNIST_DIR: Deno.env.get("MNIST_DIR"), HOME: Deno.env.get("HOME") },
    // A fresh second for every run, so two runs in one test get two run folders.
    now: () => new Date(Date.UTC(2026, 0, 2, 3, 4, tick++)),
    log: (line) => out.push(line),
    error: (line) => err.push(line),
    ...context,
  });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** Every file under `dir` (relative path -> bytes). */
export async function snapshot(dir: string, prefix = ""): Promise<Map<string, Uint8Array>> {
  const files = new Map<string, Uint8Array>();
  for await (const entry of Deno.readDir(`${dir}/${prefix}`)) {
    const path = `${prefix}${entry.name}`;
    if (entry.isDirectory) {
      for (const [k, v] of await snapshot(dir, `${path}/`)) files.set(k, v);
    } else files.set(path, await Deno.readFile(`${dir}/${path}`));
  }
  return files;
}

const mnistDir = Deno.env.get("MNIST_DIR");
if (!mnistDir && Deno.env.get("CI") === "true") {
  throw new Error("train tests: MNIST_DIR must be set under CI=true");
}

/** A test on a fresh temp project, removed afterwards; ignored without MNIST. */
export function projectTest(name: string, fn: (project: TempProject) => Promise<void>): void {
  Deno.test({
    name,
    ignore: !mnistDir,
    fn: async () => {
      const project = await tempProject();
      try {
        await fn(project);
      } finally {
        await Deno.remove(project.root, { recursive: true });
      }
    },
  });
}
