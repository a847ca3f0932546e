import assert, { deepStrictEqual } from "node:assert/strict";
import { writeFileAtomic } from "./atomic_write.ts";

Deno.test("writeFileAtomic replaces content and leaves no temp file", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/model.json`;
    await writeFileAtomic(path, "old");
    await writeFileAtomic(path, new TextEncoder().encode("new"));
    deepStrictEqual(await Deno.readTextFile(path), "new");
    const names = [...Deno.readDirSync(dir)].map((e) => e.name);
    deepStrictEqual(names, ["model.json"]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("writeFileAtomic leaves the old file when the write fails", async () => {
  const dir = await Deno.makeTempDir();
  try {
    const path = `${dir}/model.json`;
    await writeFileAtomic(path, "old");
    let failed = false;
    // A directory where the target should be makes the rename fail.
    await Deno.mkdir(`${dir}/blocked`);
    await writeFileAtomic(`${dir}/blocked`, "x").catch(() => failed = true);
    assert(failed, "writing over a directory should fail");
    deepStrictEqual(await Deno.readTextFile(path), "old");
    deepStrictEqual([...Deno.readDirSync(dir)].map((e) => e.name).sort(), [
      "blocked",
      "model.json",
    ]);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
