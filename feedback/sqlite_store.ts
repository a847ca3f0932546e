/**
 * The default feedback store: one SQLite file through Deno's built-in `node:sqlite`, in WAL
 * mode with `synchronous=FULL`, so a commit has reached the disk before `add` resolves and a
 * `kill -9` loses nothing acknowledged. One connection in the server's process: statements
 * run one at a time, so writers never see "database is locked" from each other; a second
 * process (a backup) waits up to BUSY_TIMEOUT_MS.
 *
 * @module
 */
import { DatabaseSync, type SQLInputValue } from "node:sqlite";
import {
  decodeCursor,
  encodeCursor,
  EXPORT_BATCH,
  type FeedbackPage,
  type FeedbackRecord,
  type FeedbackStore,
  FeedbackStoreError,
  FeedbackStoreFull,
  type FeedbackSummary,
  type ImageType,
  type ListQuery,
  type NewFeedback,
} from "./store.ts";

/** How long a statement waits for another process's lock before failing. */
const BUSY_TIMEOUT_MS = 5000;

/**
 * The schema, one step per version (PRAGMA user_version). Append, never edit: a database
 * made by an older digitlab is brought up to date step by step at start.
 */
export const SQLITE_MIGRATIONS: readonly string[] = [
  `CREATE TABLE feedback (
     seq INTEGER PRIMARY KEY AUTOINCREMENT,
     id TEXT NOT NULL UNIQUE,
     label INTEGER NOT NULL CHECK (label BETWEEN 0 AND 9),
     predicted INTEGER CHECK (predicted BETWEEN 0 AND 9),
     model TEXT,
     strokes TEXT,
     image BLOB NOT NULL,
     image_type TEXT NOT NULL,
     created_at TEXT NOT NULL
   );
   CREATE INDEX feedback_by_label ON feedback (label, seq);
   -- The cap is checked on every write: a counter kept by triggers, not a count(*) scan.
   CREATE TABLE feedback_count (one INTEGER PRIMARY KEY CHECK (one = 1), n INTEGER NOT NULL);
   INSERT INTO feedback_count VALUES (1, 0);
   CREATE TRIGGER feedback_counted AFTER INSERT ON feedback
     BEGIN UPDATE feedback_count SET n = n + 1; END;
   CREATE TRIGGER feedback_uncounted AFTER DELETE ON feedback
     BEGIN UPDATE feedback_count SET n = n - 1; END;`,
];

export interface SqliteStoreOptions {
  /** The database file; its folder must exist. */
  path: string;
  /** `add` refuses with FeedbackStoreFull once this many examples are stored. */
  maxExamples: number;
}

/** SQLite's primary result codes we tell apart (node:sqlite puts them on `errcode`). */
const SQLITE_FULL = 13;
const SQLITE_BUSY = 5;

const SUMMARY_COLUMNS = "seq, id, label, predicted, model, created_at";

type Row = Record<string, SQLInputValue>;

/**
 * Opens (creating when absent) and checks the database: `integrity_check`, then the
 * migrations. Throws FeedbackStoreError with a message for the operator when the file is
 * corrupt, not a database, or from a newer digitlab; it never rewrites such a file.
 */
export function openSqliteStore(options: SqliteStoreOptions): SqliteFeedbackStore {
  let db: DatabaseSync;
  try {
    db = new DatabaseSync(options.path, { timeout: BUSY_TIMEOUT_MS });
  } catch (error) {
    throw new FeedbackStoreError(`cannot open ${options.path}: ${(error as Error).message}`);
  }
  try {
    checkIntegrity(db, options.path);
    db.exec("PRAGMA journal_mode = WAL");
    db.exec("PRAGMA synchronous = FULL");
    migrate(db, options.path);
  } catch (error) {
    db.close();
    if (error instanceof FeedbackStoreError) throw error;
    throw new FeedbackStoreError(
      `${options.path} is not a usable digitlab database (${(error as Error).message}); ` +
        "it was left untouched: restore a backup or move it aside",
    );
  }
  return new SqliteFeedbackStore(db, options.maxExamples);
}

function checkIntegrity(db: DatabaseSync, path: string): void {
  const rows = db.prepare("PRAGMA integrity_check").all() as Row[];
  const problems = rows.map((row) => String(row.integrity_check)).filter((text) => text !== "ok");
  if (problems.length > 0) {
    throw new FeedbackStoreError(
      `${path} failed PRAGMA integrity_check: ${problems.slice(0, 3).join("; ")}; ` +
        "it was left untouched: restore a backup or move it aside",
    );
  }
}

function migrate(db: DatabaseSync, path: string): void {
  const version = Number((db.prepare("PRAGMA user_version").get() as Row).user_version);
  if (version > SQLITE_MIGRATIONS.length) {
    throw new FeedbackStoreError(
      `${path} has schema version ${version}, newer than this digitlab knows ` +
        `(${SQLITE_MIGRATIONS.length}): run a newer digitlab`,
    );
  }
  for (let step = version; step < SQLITE_MIGRATIONS.length; step++) {
    db.exec("BEGIN IMMEDIATE");
    try {
      db.exec(SQLITE_MIGRATIONS[step]);
      db.exec(`PRAGMA user_version = ${step + 1}`);
      db.exec("COMMIT");
    } catch (error) {
      db.exec("ROLLBACK");
      throw error;
    }
  }
}

export class SqliteFeedbackStore implements FeedbackStore {
  readonly kind = "sqlite";
  readonly #db: DatabaseSync;
  readonly #maxExamples: number;
  readonly #statements;

  constructor(db: DatabaseSync, maxExamples: number) {
    this.#db = db;
    this.#maxExamples = maxExamples;
    this.#statements = {
      count: db.prepare("SELECT n FROM feedback_count"),
      insert: db.prepare(
        `INSERT INTO feedback (id, label, predicted, model, strokes, image, image_type, created_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      get: db.prepare(`SELECT *  FROM feedback WHERE id = ?`),
      delete: db.prepare("DELETE FROM feedback WHERE id = ?"),
      exportBatch: db.prepare(`SELECT * FROM feedback WHERE seq > ? ORDER BY seq LIMIT ?`),
    };
  }

  add(example: NewFeedback): Promise<FeedbackSummary> {
    const summary: FeedbackSummary = {
      id: crypto.randomUUID(),
      label: example.label,
      predicted: example.predicted,
      model: example.model,
      createdAt: new Date().toISOString(),
    };
    return this.#run(() => {
      this.#db.exec("BEGIN IMMEDIATE");
      try {
        const stored = Number((this.#statements.count.get() as Row).n);
        if (stored >= this.#maxExamples) {
          throw new FeedbackStoreFull(
            `the feedback store holds its maximum of ${this.#maxExamples} examples`,
          );
        }
        this.#statements.insert.run(
          summary.id,
          example.label,
          example.predicted,
          example.model,
          example.strokes ? JSON.stringify(example.strokes) : null,
          example.image,
          example.imageType,
          summary.createdAt,
        );
        // synchronous=FULL: COMMIT returns once the WAL is synced.
        this.#db.exec("COMMIT");
      } catch (error) {
        if (this.#db.isTransaction) this.#db.exec("ROLLBACK");
        throw error;
      }
      return summary;
    });
  }

  list(query: ListQuery): Promise<FeedbackPage> {
    return this.#run(() => {
      const where: string[] = [];
      const values: SQLInputValue[] = [];
      const after = query.after ? decodeCursor(query.after) : null;
      if (after !== null) where.push("seq < ?"), values.push(after);
      if (query.label !== undefined && query.label !== null) {
        where.push("label = ?"), values.push(query.label);
      }
      if (query.wrong) where.push("predicted IS NOT NULL AND predicted != label");
      const sql = `SELECT ${SUMMARY_COLUMNS} FROM feedback` +
        (where.length ? ` WHERE ${where.join(" AND ")}` : "") + " ORDER BY seq DESC LIMIT ?";
      const rows = this.#db.prepare(sql).all(...values, query.limit + 1) as Row[];
      const page = rows.slice(0, query.limit);
      return {
        items: page.map(summaryOf),
        next: rows.length > query.limit ? encodeCursor(Number(page.at(-1)!.seq)) : null,
      };
    });
  }

  get(id: string): Promise<FeedbackRecord | null> {
    return this.#run(() => {
      const row = this.#statements.get.get(id) as Row | undefined;
      return row ? recordOf(row) : null;
    });
  }

  delete(id: string): Promise<boolean> {
    return this.#run(() => Number(this.#statements.delete.run(id).changes) > 0);
  }

  async *exportAll(): AsyncIterable<FeedbackRecord> {
    let after = 0;
    for (;;) {
      const batch = await this.exportBatch(after);
      yield* batch.records;
      if (batch.last === null) return;
      after = batch.last;
    }
  }

  /** Up to EXPORT_BATCH examples after sequence number `after`; `last` is null at the end. */
  exportBatch(after: number): Promise<{ records: FeedbackRecord[]; last: number | null }> {
    return this.#run(() => {
      const rows = this.#statements.exportBatch.all(after, EXPORT_BATCH) as Row[];
      return {
        records: rows.map(recordOf),
        last: rows.length < EXPORT_BATCH ? null : Number(rows.at(-1)!.seq),
      };
    });
  }

  count(): Promise<number> {
    return this.#run(() => Number((this.#statements.count.get() as Row).n));
  }

  close(): Promise<void> {
    if (this.#db.isOpen) this.#db.close();
    return Promise.resolve();
  }

  /** Runs a synchronous step, turning SQLite's errors into the store's. */
  #run<T>(step: () => T): Promise<T> {
    try {
      return Promise.resolve(step());
    } catch (error) {
      return Promise.reject(storeError(error));
    }
  }
}

function storeError(error: unknown): Error {
  if (error instanceof FeedbackStoreFull || error instanceof FeedbackStoreError) return error;
  // Statements carry SQLite's result code; exec() (COMMIT) errors carry only its text.
  const code = Number((error as { errcode?: number }).errcode) & 0xff;
  const message = (error as Error).message;
  if (code === SQLITE_FULL || /database or disk is full/.test(message)) {
    return new FeedbackStoreFull(`the disk is full: ${message}`);
  }
  if (code === SQLITE_BUSY || /database is locked/.test(message)) {
    return new FeedbackStoreError(`the database is busy: ${message}`);
  }
  return new FeedbackStoreError(message);
}

function summaryOf(row: Row): FeedbackSummary {
  return {
    id: String(row.id),
    label: Number(row.label),
    predicted: row.predicted === null ? null : Number(row.predicted),
    model: row.model === null ? null : String(row.model),
    createdAt: String(row.created_at),
  };
}

function recordOf(row: Row): FeedbackRecord {
  return {
    ...summaryOf(row),
    strokes: row.strokes === null ? null : JSON.parse(String(row.strokes)),
    image: row.image as Uint8Array,
    imageType: String(row.image_type) as ImageType,
  };
}

/**
 * A consistent copy of the database at `target` while a server keeps writing (`VACUUM INTO`
 * reads one snapshot). Refuses to overwrite an existing file.
 */
export function backupSqlite(source: string, target: string): void {
  const db = new DatabaseSync(source, { readOnly: true, timeout: BUSY_TIMEOUT_MS });
  try {
    db.prepare("VACUUM INTO ?").run(target);
  } finally {
    db.close();
  }
}
