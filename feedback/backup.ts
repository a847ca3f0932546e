/**
 * `digitlab backup FILE`: a consistent copy of the SQLite feedback database, taken while a
 * server keeps writing to it. PostgreSQL has its own tools (pg_dump).
 *
 * @module
 */
import type { FeedbackConfig } from "../config.ts";
import { feedbackDatabasePath } from "./data_dir.ts";
import { requireDataDir } from "./open_store.ts";
import { backupSqlite, openSqliteStore } from "./sqlite_store.ts";

/** Writes the copy; resolves to the exit code, with one line on stdout or stderr. */
export async function runBackup(config: FeedbackConfig, target: string): Promise<number> {
  if (config.databaseUrl !== null) {
    console.error("digitlab: feedback is in PostgreSQL (--feedback-db): back it up with pg_dump");
    return 1;
  }
  try {
    const source = feedbackDatabasePath(requireDataDir(config));
    await Deno.stat(source);
    if (await exists(target)) throw new Error(`${target} exists; it is never overwritten`);
    backupSqlite(source, target);
    // Check the copy the way the server checks its own database at start.
    const copy = openSqliteStore({ path: target, maxExamples: Number.MAX_SAFE_INTEGER });
    const examples = await copy.count();
    await copy.close();
    console.log(`digitlab: backed up ${examples} examples from ${source} to ${target}`);
    return 0;
  } catch (error) {
    console.error(`digitlab: backup failed: ${(error as Error).message}`);
    return 1;
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.lstat(path);
    return true;
  } catch {
    return false;
  }
}
