import assert from "node:assert/strict";
import { readAdminToken } from "./admin_token.ts";

Deno.test("readAdminToken trims the file and refuses short or unusable tokens", async () => {
  const dir = await Deno.makeTempDir();
  try {
    await Deno.writeTextFile(`${dir}/ok`, "  abcdefghijklmnop+/=\n");
    assert.equal(await readAdminToken(`${dir}/ok`), "abcdefghijklmnop+/=");
    await Deno.writeTextFile(`${dir}/short`, "abc\n");
    await assert.rejects(readAdminToken(`${dir}/short`), /at least 16/);
    await Deno.writeTextFile(`${dir}/spaces`, "abcdefgh ijklmnopq");
    const error = await readAdminToken(`${dir}/spaces`).catch((e: Error) => e);
    assert.ok(error instanceof Error);
    assert.doesNotMatch(error.message, /abcdefgh/, "the message never shows the token");
    await assert.rejects(readAdminToken(`${dir}/absent`), /cannot read/);
    await Deno.writeTextFile(`${dir}/empty`, "\n");
    assert.equal(await readAdminToken(`${dir}/empty`), null, "an empty file: admin routes off");
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
