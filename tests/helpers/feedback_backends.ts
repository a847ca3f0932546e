/**
 * The feedback back ends the end-to-end tests run against: SQLite always, PostgreSQL when
 * `DIGITLAB_TEST_POSTGRES_URL` names a server (`.ci/run` starts one). Each test gets a fresh,
 * empty database and drops it afterwards.
 *
 * @module
 */
import postgres from "postgres";
import { openPostgresStore } from "../../feedback/postgres_store.ts";
import { openSqliteStore } from "../../feedback/sqlite_store.ts";
import type { FeedbackStore } from "../../feedback/store.ts";

export const POSTGRES_URL = Deno.env.get("DIGITLAB_TEST_POSTGRES_URL") ?? null;
const inCi = Deno.env.get("CI") === "true";

export interface Backend {
  name: "sqlite" | "postgres";
  /** Why its tests cannot run here (they are ignored), or null. */
  missing: string | null;
}

export const BACKENDS: Backend[] = [
  { name: "sqlite", missing: null },
  {
    name: "postgres",
    // Under CI the tests run and fail loudly when .ci/run did not provide a server.
    missing: POSTGRES_URL || inCi ? null : "no DIGITLAB_TEST_POSTGRES_URL (see .ci/run)",
  },
];

for (const backend of BACKENDS) {
  if (backend.missing) console.warn(`${backend.name} feedback tests skipped: ${backend.missing}`);
}

/** A fresh database: the server's flags for it, an open store on it, and its removal. */
export interface FreshDatabase {
  /** `--feedback-db URL` for PostgreSQL; none for SQLite (the data folder is the database). */
  args: string[];
  open(maxExamples: number): Promise<FeedbackStore>;
  drop(): Promise<void>;
}

export async function freshDatabase(backend: Backend, dataDir: string): Promise<FreshDatabase> {
  if (backend.name === "sqlite") {
    return {
      args: [],
      open: (maxExamples) =>
        Promise.resolve(openSqliteStore({ path: `${dataDir}/feedback.sqlite3`, maxExamples })),
      drop: () => Promise.resolve(),
    };
  }
  if (!POSTGRES_URL) throw new Error("DIGITLAB_TEST_POSTGRES_URL is not set under CI");
  const name = `digitlab_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
  const admin = postgres(POSTGRES_URL, { onnotice: () => {}, max: 1 });
  await admin.unsafe(`CREATE DATABASE ${name}`);
  const url = new URL(POSTGRES_URL);
  url.pathname = `/${name}`;
  return {
    args: ["--feedback-db", url.toString()],
    open: (maxExamples) => openPostgresStore({ url: url.toString(), maxExamples }),
    async drop() {
      await admin.unsafe(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.end();
    },
  };
}
