import assert from "node:assert/strict";
import { DatabaseSync } from "node:sqlite";
import { backupSqlite, openSqliteStore, SQLITE_MIGRATIONS } from "./sqlite_store.ts";
import { example, storeContract } from "./store_contract.ts";
import { FeedbackStoreError } from "./store.ts";
import { openSqliteWorkerStore } from "./sqlite_worker_store.ts";

Deno.test("the SQLite store keeps the store contract", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-sqlite-" });
  let n = 0;
  try {
    await storeContract(
      t,
      (maxExamples) =>
        Promise.resolve(openSqliteStore({ path: `${dir}/${n++}.sqlite3`, maxExamples })),
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the SQLite store in its own worker keeps the store contract", async (t) => {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-sqlite-worker-" });
  let n = 0;
  try {
    await storeContract(
      t,
      (maxExamples) => openSqliteWorkerStore({ path: `${dir}/${n++}.sqlite3`, maxExamples }),
    );
    // Opening a corrupt file fails the same way, and stops the worker.
    await Deno.writeTextFile(`${dir}/junk.sqlite3`, "not a database ".repeat(400));
    await assert.rejects(
      openSqliteWorkerStore({ path: `${dir}/junk.sqlite3`, maxExamples: 1 }),
      FeedbackStoreError,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the SQLite store runs in WAL mode with synchronous=FULL at the latest schema", async () => {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-sqlite-" });
  try {
    const path = `${dir}/f.sqlite3`;
    const store = openSqliteStore({ path, maxExamples: 10 });
    await store.add(example(3));
    await store.close();
    const db = new DatabaseSync(path);
    assert.equal(db.prepare("PRAGMA journal_mode").get()?.journal_mode, "wal");
    assert.equal(db.prepare("PRAGMA user_version").get()?.user_version, SQLITE_MIGRATIONS.length);
    db.close();
    // Reopening keeps the data and runs no migration twice.
    const again = openSqliteStore({ path, maxExamples: 10 });
    assert.equal(await again.count(), 1);
    await again.close();
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("a corrupt or foreign file stops the open with a clear message and is not touched", async () => {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-sqlite-" });
  try {
    // Not a database at all.
    const junk = `${dir}/junk.sqlite3`;
    const junkBytes = new TextEncoder().encode("this is not a database ".repeat(300));
    await Deno.writeFile(junk, junkBytes);
    assert.throws(() => openSqliteStore({ path: junk, maxExamples: 10 }), FeedbackStoreError);
    assert.deepEqual(await Deno.readFile(junk), junkBytes);

    // A real database with a page overwritten in the middle of its table.
    const path = `${dir}/corrupt.sqlite3`;
    const store = openSqliteStore({ path, maxExamples: 1000 });
    for (let i = 0; i < 200; i++) {
      await store.add(example(i % 10, { image: new Uint8Array(3000).fill(i) }));
    }
    await store.close();
    const bytes = await Deno.readFile(path);
    bytes.fill(0x5a, 4096 * 3, 4096 * 3 + 2048);
    await Deno.writeFile(path, bytes);
    assert.throws(
      () => openSqliteStore({ path, maxExamples: 1000 }),
      (e: Error) => e instanceof FeedbackStoreError && /integrity|not a usable/.test(e.message),
    );
    assert.deepEqual(await Deno.readFile(path), bytes);

    // A schema from a newer digitlab.
    const newer = `${dir}/newer.sqlite3`;
    const db = new DatabaseSync(newer);
    db.exec(`PRAGMA user_version = ${SQLITE_MIGRATIONS.length + 1}`);
    db.close();
    assert.throws(
      () => openSqliteStore({ path: newer, maxExamples: 10 }),
      /newer than this digitlab knows/,
    );
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backupSqlite copies a consistent snapshot while the store stays open", async () => {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-sqlite-" });
  try {
    const path = `${dir}/f.sqlite3`;
    const store = openSqliteStore({ path, maxExamples: 100 });
    const ids = [];
    for (let i = 0; i < 20; i++) ids.push((await store.add(example(i % 10))).id);
    backupSqlite(path, `${dir}/copy.sqlite3`);
    await store.add(example(1));
    const copy = openSqliteStore({ path: `${dir}/copy.sqlite3`, maxExamples: 100 });
    assert.equal(await copy.count(), 20);
    assert.deepEqual((await copy.get(ids[7]))?.image, example(7).image);
    await copy.close();
    await store.close();
    // An existing file is never overwritten.
    assert.throws(() => backupSqlite(path, `${dir}/copy.sqlite3`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
