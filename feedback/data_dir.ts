/**
 * Where digitlab keeps its state when `--data-dir` is not given: the XDG base directory
 * specification's data home, as desktop and server tools alike expect.
 *
 * @module
 */
import { join } from "node:path";

/** `$XDG_DATA_HOME/digitlab`, else `$HOME/.local/share/digitlab`; null with neither set. */
export function defaultDataDir(env: { XDG_DATA_HOME?: string; HOME?: string }): string | null {
  // The specification says a relative XDG_DATA_HOME is invalid and must be ignored.
  if (env.XDG_DATA_HOME?.startsWith("/")) return join(env.XDG_DATA_HOME, "digitlab");
  if (env.HOME) return join(env.HOME, ".local", "share", "digitlab");
  return null;
}

/** The SQLite file inside a data folder. */
export function feedbackDatabasePath(dataDir: string): string {
  return join(dataDir, "feedback.sqlite3");
}
