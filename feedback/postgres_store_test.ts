/**
 * The PostgreSQL store against a real server: `DIGITLAB_TEST_POSTGRES_URL` (`.ci/run` starts a
 * throwaway cluster and sets it). Without one these tests are ignored with a message locally
 * and fail under CI=true.
 */
import assert from "node:assert/strict";
import postgres from "postgres";
import { openPostgresStore, POSTGRES_MIGRATIONS } from "./postgres_store.ts";
import { example, storeContract } from "./store_contract.ts";
import { FeedbackStoreError } from "./store.ts";

const url = Deno.env.get("DIGITLAB_TEST_POSTGRES_URL");
const inCi = Deno.env.get("CI") === "true";
if (!url && !inCi) {
  console.warn("PostgreSQL store tests skipped: set DIGITLAB_TEST_POSTGRES_URL (see .ci/run)");
}

/** A schema of its own per store, dropped at the end: tests never see each other's rows. */
function freshSchema(): string {
  return `digitlab_test_${crypto.randomUUID().replaceAll("-", "").slice(0, 12)}`;
}

async function dropSchemas(schemas: string[]): Promise<void> {
  const sql = postgres(url!, { onnotice: () => {} });
  try {
    for (const schema of schemas) await sql.unsafe(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  } finally {
    await sql.end();
  }
}

Deno.test({
  name: "the PostgreSQL store keeps the store contract",
  ignore: !url && !inCi,
  async fn(t) {
    if (!url) throw new Error("DIGITLAB_TEST_POSTGRES_URL is not set under CI");
    const schemas: string[] = [];
    try {
      await storeContract(t, (maxExamples) => {
        const schema = freshSchema();
        schemas.push(schema);
        return openPostgresStore({ url, maxExamples, schema });
      });
    } finally {
      await dropSchemas(schemas);
    }
  },
});

Deno.test({
  name: "PostgreSQL: replicas opening at once migrate once and share the cap exactly",
  ignore: !url && !inCi,
  async fn() {
    if (!url) throw new Error("DIGITLAB_TEST_POSTGRES_URL is not set under CI");
    const schema = freshSchema();
    try {
      const replicas = await Promise.all(
        [1, 2, 3].map(() => openPostgresStore({ url, maxExamples: 50, schema })),
      );
      try {
        const results = await Promise.allSettled(
          Array.from({ length: 80 }, (_, i) => replicas[i % 3].add(example(i % 10))),
        );
        const stored = results.filter((r) => r.status === "fulfilled").length;
        assert.equal(stored, 50);
        assert.equal(await replicas[0].count(), 50);
        let listed = 0;
        for await (const _ of replicas[1].exportAll()) listed++;
        assert.equal(listed, 50);
      } finally {
        await Promise.all(replicas.map((store) => store.close()));
      }
      const sql = postgres(url, { onnotice: () => {} });
      const [{ version }] = await sql.unsafe(`SELECT version FROM ${schema}.digitlab_schema`);
      await sql.end();
      assert.equal(version, POSTGRES_MIGRATIONS.length);
    } finally {
      await dropSchemas([schema]);
    }
  },
});

Deno.test("PostgreSQL: an unreachable server is a FeedbackStoreError that hides the password", async () => {
  const error = await openPostgresStore({
    url: "postgres://someone:s3cret-password@127.0.0.1:9/nowhere",
    maxExamples: 10,
  }).catch((e: Error) => e);
  assert.ok(error instanceof FeedbackStoreError, String(error));
  assert.doesNotMatch(error.message, /s3cret-password/);
  assert.match(error.message, /127\.0\.0\.1:9/);
});
