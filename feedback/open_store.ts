/**
 * Picks and opens the feedback store the configuration asks for: PostgreSQL when a
 * `--feedback-db` URL is given, else the SQLite file in the data folder (created, owner-only,
 * when absent).
 *
 * @module
 */
import type { FeedbackConfig } from "../config.ts";
import { feedbackDatabasePath } from "./data_dir.ts";
import { openSqliteWorkerStore } from "./sqlite_worker_store.ts";
import { readAdminToken } from "./admin_token.ts";
import { databaseNetworkRefusal } from "./database_network.ts";
import { type FeedbackStore, FeedbackStoreError } from "./store.ts";

/** Opens the store; throws FeedbackStoreError with a message for the operator. */
export async function openFeedbackStore(config: FeedbackConfig): Promise<FeedbackStore> {
  if (config.databaseUrl !== null) {
    const refusal = await databaseNetworkRefusal(config.databaseUrl);
    if (refusal) throw new FeedbackStoreError(refusal);
    // Loaded only when configured: SQLite deployments never load the driver.
    const { openPostgresStore } = await import("./postgres_store.ts");
    return await openPostgresStore({ url: config.databaseUrl, maxExamples: config.maxExamples });
  }
  const dir = requireDataDir(config);
  try {
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  } catch (error) {
    throw new FeedbackStoreError(
      `cannot create the data folder ${dir}: ${(error as Error).message}`,
    );
  }
  return await openSqliteWorkerStore({
    path: feedbackDatabasePath(dir),
    maxExamples: config.maxExamples,
  });
}

export function requireDataDir(config: FeedbackConfig): string {
  if (config.dataDir === null) {
    throw new FeedbackStoreError(
      "no data folder: set --data-dir (DIGITLAB_DATA_DIR), XDG_DATA_HOME or HOME, " +
        "or --feedback off",
    );
  }
  return config.dataDir;
}

/** What the server needs for feedback: the open store and the admin token (null: none). */
export interface FeedbackService {
  store: FeedbackStore;
  adminToken: string | null;
}

/**
 * Opens the store and reads the admin token, for `serve`; undefined with `--feedback off`.
 * Throws an Error whose message tells the operator what to fix.
 */
export async function startFeedback(config: FeedbackConfig): Promise<FeedbackService | undefined> {
  if (!config.enabled) return undefined;
  const adminToken = config.adminTokenFile === null
    ? null
    : await readAdminToken(config.adminTokenFile);
  return { store: await openFeedbackStore(config), adminToken };
}
