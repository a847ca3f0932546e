/**
 * The SQLite store's own thread: it opens the database and runs each call the server posts.
 * A commit with synchronous=FULL waits for the disk (a fsync: ~0.1 ms on a quiet local disk,
 * several ms on a busy or networked one); here that wait never holds up the HTTP thread.
 *
 * @module
 */
/// <reference lib="deno.worker" />
import { openSqliteStore, type SqliteFeedbackStore } from "./sqlite_store.ts";
import { FeedbackStoreFull } from "./store.ts";
import type { StoreCall, StoreReply } from "./sqlite_worker_protocol.ts";

let store: SqliteFeedbackStore | null = null;

self.onmessage = async (event: MessageEvent<StoreCall>) => {
  const call = event.data;
  let reply: StoreReply;
  try {
    let value: unknown;
    switch (call.method) {
      case "open":
        store = openSqliteStore(call.args[0]);
        break;
      case "close":
        await store?.close();
        store = null;
        break;
      default: {
        // deno-lint-ignore no-explicit-any
        value = await (store as any)[call.method](...call.args);
      }
    }
    reply = { id: call.id, ok: true, value };
  } catch (error) {
    reply = {
      id: call.id,
      ok: false,
      full: error instanceof FeedbackStoreFull,
      message: (error as Error).message,
    };
  }
  self.postMessage(reply);
};
