/**
 * The feedback store in PostgreSQL (`--feedback-db postgres://...`), for several replicas
 * behind one load balancer, through npm `postgres`. Same interface and tests as the SQLite
 * store. PostgreSQL's commit waits for its WAL flush (synchronous_commit=on, the default), so
 * `add` resolves only once the example is durable. The cap is a counter row updated in the
 * inserting transaction: its row lock makes the cap exact across replicas.
 *
 * @module
 */
import postgres from "postgres";
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

/** The schema, one step per version (table digitlab_schema). Append, never edit. */
export const POSTGRES_MIGRATIONS: readonly string[] = [
  `CREATE TABLE feedback (
     seq BIGSERIAL PRIMARY KEY,
     id TEXT NOT NULL UNIQUE,
     label SMALLINT NOT NULL CHECK (label BETWEEN 0 AND 9),
     predicted SMALLINT CHECK (predicted BETWEEN 0 AND 9),
     model TEXT,
     strokes JSONB,
     image BYTEA NOT NULL,
     image_type TEXT NOT NULL,
     created_at TIMESTAMPTZ NOT NULL
   );
   CREATE INDEX feedback_by_label ON feedback (label, seq);
   CREATE TABLE feedback_count (one INTEGER PRIMARY KEY CHECK (one = 1), n BIGINT NOT NULL);
   INSERT INTO feedback_count VALUES (1, 0);`,
];

/** Replicas starting at once take turns migrating (any constant; "dl15" in ASCII). */
const MIGRATION_LOCK = 0x646c3135;

export interface PostgresStoreOptions {
  /** `postgres://user[:password]@host:port/database`; a password may also come from PGPASSWORD. */
  url: string;
  maxExamples: number;
  /** The schema (namespace) to keep the tables in; `public` by default. */
  schema?: string;
  /** Connections in the pool. */
  maxConnections?: number;
}

/**
 * The options npm `postgres` would otherwise look up as PG* environment variables (PGMAX,
 * PGSSL, ...), given here so the release binary's --allow-env list names only the libpq
 * variables an operator may really use (feedback/postgres_env.ts).
 */
const CLIENT_DEFAULTS = {
  ssl: false,
  idle_timeout: 60,
  connect_timeout: 10,
  max_lifetime: 60 * 30,
  max_pipeline: 100,
  keep_alive: 60,
  prepare: true,
  debug: false,
  fetch_types: false,
  publications: "alltables",
  // Present (even undefined) so the driver does not look up PGTARGET_SESSION_ATTRS.
  target_session_attrs: undefined,
  backoff: (attempt: number) => (0.5 + Math.random() / 2) * Math.min(3 ** attempt / 100, 20),
} as const;

type Sql = postgres.Sql;

/** Connects, migrates and returns the store; throws FeedbackStoreError when it cannot. */
export async function openPostgresStore(options: PostgresStoreOptions): Promise<FeedbackStore> {
  const schema = options.schema ?? "public";
  if (!/^[a-z_][a-z0-9_]{0,62}$/.test(schema)) {
    throw new FeedbackStoreError(`the schema name "${schema}" is not a plain identifier`);
  }
  const sql = postgres(options.url, {
    ...CLIENT_DEFAULTS,
    max: options.maxConnections ?? 10,
    onnotice: () => {},
    connection: { application_name: "digitlab", search_path: schema },
  });
  try {
    await migrate(sql, schema);
  } catch (error) {
    await sql.end({ timeout: 1 });
    throw new FeedbackStoreError(
      `cannot use the PostgreSQL feedback database at ${redacted(options.url)}: ` +
        (error as Error).message,
    );
  }
  return new PostgresFeedbackStore(sql, options.maxExamples);
}

async function migrate(sql: Sql, schema: string): Promise<void> {
  await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK})`;
    await tx.unsafe(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
    await tx`CREATE TABLE IF NOT EXISTS digitlab_schema (version INTEGER NOT NULL)`;
    const rows = await tx`SELECT version FROM digitlab_schema`;
    if (rows.length === 0) await tx`INSERT INTO digitlab_schema VALUES (0)`;
    const version = rows.length === 0 ? 0 : Number(rows[0].version);
    if (version > POSTGRES_MIGRATIONS.length) {
      throw new Error(
        `schema version ${version} is newer than this digitlab knows ` +
          `(${POSTGRES_MIGRATIONS.length}): run a newer digitlab`,
      );
    }
    for (let step = version; step < POSTGRES_MIGRATIONS.length; step++) {
      await tx.unsafe(POSTGRES_MIGRATIONS[step]);
      await tx`UPDATE digitlab_schema SET version = ${step + 1}`;
    }
  });
}

/** The URL without its password, for messages. */
function redacted(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString();
  } catch {
    return "(unparsable URL)";
  }
}

class PostgresFeedbackStore implements FeedbackStore {
  readonly kind = "postgres";
  readonly #sql: Sql;
  readonly #maxExamples: number;

  constructor(sql: Sql, maxExamples: number) {
    this.#sql = sql;
    this.#maxExamples = maxExamples;
  }

  add(example: NewFeedback): Promise<FeedbackSummary> {
    const createdAt = new Date();
    const summary: FeedbackSummary = {
      id: crypto.randomUUID(),
      label: example.label,
      predicted: example.predicted,
      model: example.model,
      createdAt: createdAt.toISOString(),
    };
    return this.#run(() =>
      this.#sql.begin(async (tx) => {
        const counted = await tx`
          UPDATE feedback_count SET n = n + 1 WHERE n < ${this.#maxExamples} RETURNING n`;
        if (counted.length === 0) {
          throw new FeedbackStoreFull(
            `the feedback store holds its maximum of ${this.#maxExamples} examples`,
          );
        }
        await tx`
          INSERT INTO feedback (id, label, predicted, model, strokes, image, image_type, created_at)
          VALUES (${summary.id}, ${example.label}, ${example.predicted}, ${example.model},
                  ${example.strokes === null ? null : tx.json(example.strokes)},
                  ${example.image}, ${example.imageType}, ${createdAt})`;
        return summary;
      })
    );
  }

  list(query: ListQuery): Promise<FeedbackPage> {
    const sql = this.#sql;
    const after = query.after ? decodeCursor(query.after) : null;
    const label = query.label ?? null;
    return this.#run(async () => {
      const rows = await sql`
        SELECT seq, id, label, predicted, model, created_at FROM feedback
        WHERE TRUE
          ${after === null ? sql`` : sql`AND seq < ${after}`}
          ${label === null ? sql`` : sql`AND label = ${label}`}
          ${query.wrong ? sql`AND predicted IS NOT NULL AND predicted <> label` : sql``}
        ORDER BY seq DESC LIMIT ${query.limit + 1}`;
      const page = rows.slice(0, query.limit);
      return {
        items: page.map(summaryOf),
        next: rows.length > query.limit ? encodeCursor(Number(page.at(-1)!.seq)) : null,
      };
    });
  }

  get(id: string): Promise<FeedbackRecord | null> {
    return this.#run(async () => {
      const rows = await this.#sql`SELECT * FROM feedback WHERE id = ${id}`;
      return rows.length === 0 ? null : recordOf(rows[0]);
    });
  }

  delete(id: string): Promise<boolean> {
    return this.#run(() =>
      this.#sql.begin(async (tx) => {
        const deleted = await tx`DELETE FROM feedback WHERE id = ${id} RETURNING seq`;
        if (deleted.length > 0) await tx`UPDATE feedback_count SET n = n - ${deleted.length}`;
        return deleted.length > 0;
      })
    );
  }

  async *exportAll(): AsyncIterable<FeedbackRecord> {
    let after = 0;
    for (;;) {
      const rows = await this.#run(() =>
        this.#sql`SELECT * FROM feedback WHERE seq > ${after} ORDER BY seq LIMIT ${EXPORT_BATCH}`
      );
      for (const row of rows) yield recordOf(row);
      if (rows.length < EXPORT_BATCH) return;
      after = Number(rows.at(-1)!.seq);
    }
  }

  count(): Promise<number> {
    return this.#run(async () => Number((await this.#sql`SELECT n FROM feedback_count`)[0].n));
  }

  async close(): Promise<void> {
    await this.#sql.end({ timeout: 5 });
  }

  async #run<T>(step: () => Promise<T>): Promise<T> {
    try {
      return await step();
    } catch (error) {
      throw storeError(error);
    }
  }
}

function storeError(error: unknown): Error {
  if (error instanceof FeedbackStoreFull || error instanceof FeedbackStoreError) return error;
  const code = (error as { code?: string }).code;
  const message = (error as Error).message;
  // 53100 disk_full, 53200 out_of_memory, 53300 too_many_connections: the server's resources.
  if (code === "53100") return new FeedbackStoreFull(`the database's disk is full: ${message}`);
  return new FeedbackStoreError(`PostgreSQL: ${message}`);
}

type Row = Record<string, unknown>;

function summaryOf(row: Row): FeedbackSummary {
  return {
    id: String(row.id),
    label: Number(row.label),
    predicted: row.predicted === null ? null : Number(row.predicted),
    model: row.model === null ? null : String(row.model),
    createdAt: (row.created_at as Date).toISOString(),
  };
}

function recordOf(row: Row): FeedbackRecord {
  return {
    ...summaryOf(row),
    strokes: (row.strokes ?? null) as FeedbackRecord["strokes"],
    // The driver hands out Node Buffers; callers compare and serve plain bytes.
    image: new Uint8Array(row.image as Uint8Array),
    imageType: String(row.image_type) as ImageType,
  };
}
