/**
 * The SQLite store, run in a worker of its own (sqlite_worker.ts) so the disk's fsync on every
 * commit never blocks the thread that answers HTTP. Same interface and guarantees as
 * openSqliteStore: `add` resolves once the worker's COMMIT has returned, i.e. once the example
 * is on disk. Calls run in order, one at a time, on the worker's one connection.
 *
 * @module
 */
import type { SqliteStoreOptions } from "./sqlite_store.ts";
import {
  type FeedbackPage,
  type FeedbackRecord,
  type FeedbackStore,
  FeedbackStoreError,
  FeedbackStoreFull,
  type FeedbackSummary,
  type ListQuery,
  type NewFeedback,
} from "./store.ts";
import type { StoreCall, StoreReply } from "./sqlite_worker_protocol.ts";

type Method = StoreCall["method"];

/**
 * Starts the worker and opens the database in it; throws FeedbackStoreError (a corrupt file,
 * a newer schema) as openSqliteStore does, after stopping the worker.
 */
export async function openSqliteWorkerStore(options: SqliteStoreOptions): Promise<FeedbackStore> {
  const store = new SqliteWorkerStore();
  try {
    await store.call("open", [options]);
  } catch (error) {
    store.terminate();
    throw error;
  }
  return store;
}

class SqliteWorkerStore implements FeedbackStore {
  readonly kind = "sqlite";
  readonly #worker = new Worker(new URL("./sqlite_worker.ts", import.meta.url), {
    type: "module",
  });
  readonly #calls = new Map<number, { resolve(value: unknown): void; reject(e: Error): void }>();
  #nextId = 1;
  #broken: Error | null = null;

  constructor() {
    this.#worker.onmessage = (event: MessageEvent<StoreReply>) => {
      const reply = event.data;
      const call = this.#calls.get(reply.id);
      this.#calls.delete(reply.id);
      if (reply.ok) call?.resolve(reply.value);
      else {
        call?.reject(
          reply.full ? new FeedbackStoreFull(reply.message) : new FeedbackStoreError(reply.message),
        );
      }
    };
    this.#worker.onerror = (event) => {
      event.preventDefault();
      this.#broken = new FeedbackStoreError(`the feedback store's worker failed: ${event.message}`);
      for (const call of this.#calls.values()) call.reject(this.#broken);
      this.#calls.clear();
    };
  }

  call<T>(method: Method, args: unknown[]): Promise<T> {
    if (this.#broken) return Promise.reject(this.#broken);
    const id = this.#nextId++;
    return new Promise<T>((resolve, reject) => {
      this.#calls.set(id, { resolve: resolve as (value: unknown) => void, reject });
      this.#worker.postMessage({ id, method, args } as StoreCall);
    });
  }

  add(example: NewFeedback): Promise<FeedbackSummary> {
    return this.call("add", [example]);
  }

  list(query: ListQuery): Promise<FeedbackPage> {
    return this.call("list", [query]);
  }

  get(id: string): Promise<FeedbackRecord | null> {
    return this.call("get", [id]);
  }

  delete(id: string): Promise<boolean> {
    return this.call("delete", [id]);
  }

  count(): Promise<number> {
    return this.call("count", []);
  }

  async *exportAll(): AsyncIterable<FeedbackRecord> {
    let after = 0;
    for (;;) {
      const batch = await this.call<{ records: FeedbackRecord[]; last: number | null }>(
        "exportBatch",
        [after],
      );
      yield* batch.records;
      if (batch.last === null) return;
      after = batch.last;
    }
  }

  async close(): Promise<void> {
    if (!this.#broken) await this.call("close", []).catch(() => {});
    this.terminate();
  }

  terminate(): void {
    this.#broken ??= new FeedbackStoreError("the feedback store is closed");
    this.#worker.terminate();
  }
}
