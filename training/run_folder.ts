/**
 * Where a training run writes: its run folder (run.json, per-epoch checkpoints) and the folder
 * that receives its model set. Only the full default recipe goes to models/ by default; every
 * other run gets `build/runs/<time>-<model>/`, so a quick run never replaces the shipped models.
 *
 * @module
 */
import { MODEL_NAMES, type ModelName } from "../lib/model_metadata.ts";
import { writeFileAtomic } from "./atomic_write.ts";
import {
  recipeChanges,
  recipeOf,
  type TrainConfig,
  type TrainRecipe,
  UsageError,
} from "./train_options.ts";

/** A folder that cannot be used: one line for the user, exit code 1. */
export class FolderError extends Error {
  override name = "FolderError";
}

/** What run.json records: enough for `--resume RUN_DIR` to carry on with nothing else. */
export interface RunFile {
  models: ModelName[];
  recipe: TrainRecipe;
  outDir: string;
  /** Models whose set is written to outDir (skipped by --resume). */
  exported: ModelName[];
  started: string;
}

export interface RunPlan extends RunFile {
  runDir: string;
  /** outDir is the project's models/ folder (the shipped models). */
  shipped: boolean;
  /** How the recipe differs from the full default one ("--limit 3000"). */
  changes: string[];
  resumed: boolean;
}

export interface PlanContext {
  /** The project's models/ folder. */
  modelsDir: string;
  /** Where run folders go by default (build/runs). */
  runsDir: string;
  now: Date;
}

const RUN_FILE = "run.json";

/** `20261201-210501-cnn`: sorts by time, says what was trained. */
export function runFolderName(now: Date, models: readonly ModelName[]): string {
  const stamp = now.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", "-");
  const all = models.length === MODEL_NAMES.length;
  return `${stamp}-${all ? "all" : models.join("+")}`;
}

async function realPathOrSelf(path: string): Promise<string> {
  try {
    return await Deno.realPath(path);
  } catch {
    return path.replace(/\/+$/, "");
  }
}

/** Whether `path` names the project's models/ folder (however it is spelled). */
export async function isShippedFolder(path: string, modelsDir: string): Promise<boolean> {
  return await realPathOrSelf(path) === await realPathOrSelf(modelsDir);
}

/** Reads `<runDir>/run.json`; a missing or foreign folder is a FolderError. */
export async function readRunFile(runDir: string): Promise<RunFile> {
  try {
    return JSON.parse(await Deno.readTextFile(`${runDir}/${RUN_FILE}`)) as RunFile;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotADirectory) {
      throw new FolderError(`--resume ${runDir}: no run there (no ${RUN_FILE})`);
    }
    throw new FolderError(
      `--resume ${runDir}: cannot read ${RUN_FILE}: ${(error as Error).message}`,
    );
  }
}

export async function writeRunFile(plan: RunPlan): Promise<void> {
  const { models, recipe, outDir, exported, started } = plan;
  const file: RunFile = { models, recipe, outDir, exported, started };
  await writeFileAtomic(`${plan.runDir}/${RUN_FILE}`, JSON.stringify(file, null, 2) + "\n");
}

/** Decides the folders of a new or resumed run; touches nothing. */
export async function planRun(config: TrainConfig, context: PlanContext): Promise<RunPlan> {
  let plan: Omit<RunPlan, "shipped" | "changes">;
  if (config.resume !== undefined) {
    const file = await readRunFile(config.resume);
    plan = { ...file, outDir: config.out ?? file.outDir, runDir: config.resume, resumed: true };
  } else {
    const changes = recipeChanges(config, config.models);
    const runDir = await unusedPath(
      `${context.runsDir}/${runFolderName(context.now, config.models)}`,
    );
    const outDir = config.out ?? (changes.length === 0 ? context.modelsDir : runDir);
    plan = {
      models: config.models,
      recipe: recipeOf(config),
      outDir,
      exported: [],
      started: context.now.toISOString(),
      // Checkpoints beside the served models would be served as clutter: they go to build/runs.
      runDir: config.out === undefined || await isShippedFolder(config.out, context.modelsDir)
        ? runDir
        : config.out,
      resumed: false,
    };
  }
  if (!plan.resumed) await refuseUnfinishedRun(plan.runDir);
  const shipped = await isShippedFolder(plan.outDir, context.modelsDir);
  const changes = recipeChanges(plan.recipe, plan.models);
  if (shipped && changes.length > 0 && !config.force) {
    throw new UsageError(
      `this run (${changes.join(" ")}) is not the full recipe, so it would replace the shipped ` +
        `models in ${plan.outDir} with weaker ones; drop --out to write to a run folder, or add --force`,
    );
  }
  return { ...plan, shipped, changes };
}

/** `path`, or `path-2`, `path-3`... when two runs start in the same second. */
async function unusedPath(path: string): Promise<string> {
  for (let n = 1;; n++) {
    const candidate = n === 1 ? path : `${path}-${n}`;
    if (!await Deno.stat(candidate).then(() => true, () => false)) return candidate;
  }
}

/** A new run must not take over the checkpoints of one that is not finished. */
async function refuseUnfinishedRun(runDir: string): Promise<void> {
  let file: RunFile;
  try {
    file = JSON.parse(await Deno.readTextFile(`${runDir}/${RUN_FILE}`));
  } catch {
    return;
  }
  const pending = file.models.filter((name) => !file.exported.includes(name));
  if (pending.length > 0) {
    throw new FolderError(
      `${runDir} holds an unfinished run (${pending.join(", ")} not exported yet): continue it ` +
        `with --resume ${runDir}, or pick another --out`,
    );
  }
}

/**
 * Makes sure `path` is a folder this process can write into, creating it (and its parents) if
 * missing. Returns the folders it created, outermost first, so a run that fails before writing
 * anything can take them away again.
 */
export async function prepareFolder(path: string, flag: string): Promise<string[]> {
  const created: string[] = [];
  const missing: string[] = [];
  for (let dir = path.replace(/\/+$/, ""); dir && dir !== "."; dir = parentOf(dir)) {
    try {
      const info = await Deno.stat(dir);
      if (!info.isDirectory) {
        throw new FolderError(`${flag} ${path}: ${dir} is a file, not a folder`);
      }
      break;
    } catch (error) {
      if (error instanceof FolderError) throw error;
      const absent = error instanceof Deno.errors.NotFound ||
        error instanceof Deno.errors.NotADirectory;
      if (!absent) throw folderError(flag, path, error);
      missing.unshift(dir);
    }
  }
  try {
    for (const dir of missing) {
      await Deno.mkdir(dir);
      created.push(dir);
    }
    const probe = `${path}/.write-probe-${crypto.randomUUID().slice(0, 8)}.tmp`;
    await Deno.writeTextFile(probe, "");
    await Deno.remove(probe);
  } catch (error) {
    await removeEmptyFolders(created);
    throw folderError(flag, path, error);
  }
  return created;
}

function parentOf(dir: string): string {
  const slash = dir.lastIndexOf("/");
  return slash <= 0 ? "" : dir.slice(0, slash);
}

function folderError(flag: string, path: string, error: unknown): FolderError {
  if (error instanceof Deno.errors.NotCapable) {
    return new FolderError(`${flag} ${path}: Deno does not write there (a system folder)`);
  }
  const reason = String((error as Error).message ?? error).split("\n")[0];
  return new FolderError(`${flag} ${path}: not a writable folder (${reason})`);
}

/** Removes `folders` (innermost first) if they are still empty; keeps any that are not. */
export async function removeEmptyFolders(folders: string[]): Promise<void> {
  for (const dir of [...folders].reverse()) await Deno.remove(dir).catch(() => {});
}
