/**
 * Messages between the server and the SQLite store's worker (sqlite_worker.ts).
 *
 * @module
 */
import type { SqliteStoreOptions } from "./sqlite_store.ts";

/** A call: `open` first, then the store's methods by name, `close` last. */
export type StoreCall =
  | { id: number; method: "open"; args: [SqliteStoreOptions] }
  | { id: number; method: "close"; args: [] }
  | {
    id: number;
    method: "add" | "list" | "get" | "delete" | "count" | "exportBatch";
    args: unknown[];
  };

/** The answer; a failure says whether the store was full (507) or broken (503). */
export type StoreReply =
  | { id: number; ok: true; value: unknown }
  | { id: number; ok: false; full: boolean; message: string };
