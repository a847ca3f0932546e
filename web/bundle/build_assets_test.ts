import { brotliDecompressSync, gunzipSync } from "node:zlib";
import assert, { deepStrictEqual } from "node:assert/strict";
import { buildAssets, isBuildStale, listIslandNames } from "./build_assets.ts";
import { readManifest } from "../server/manifest.ts";
import { joinPath } from "../../lib/join_path.ts";

const projectRoot = new URL("../../", import.meta.url).pathname;

/** A throwaway project: one island, the hydrate helper it needs, a stylesheet. */
async function fixtureProject(): Promise<string> {
  const root = await Deno.makeTempDir({ prefix: "digitlab_build_" });
  await Deno.mkdir(joinPath(root, "islands"));
  await Deno.mkdir(joinPath(root, "web/browser"), { recursive: true });
  await Deno.mkdir(joinPath(root, "static"));
  await Deno.writeTextFile(
    joinPath(root, "islands/greeting.tsx"),
    `export default function Greeting({ name }: { name: string }) {
      return <p class="greeting">Hello {name}</p>;
    }`,
  );
  for (const file of ["web/browser/hydrate.ts", "web/browser/island_markup.ts"]) {
    await Deno.copyFile(joinPath(projectRoot, file), joinPath(root, file));
  }
  await Deno.writeTextFile(joinPath(root, "static/site.css"), "body { color: rebeccapurple; }");
  await Deno.writeTextFile(joinPath(root, "static/logo.svg"), "<svg></svg>");
  await Deno.symlink(joinPath(projectRoot, "node_modules"), joinPath(root, "node_modules"));
  return root;
}

Deno.test("buildAssets bundles islands and styles under content-hashed names", async () => {
  const root = await fixtureProject();
  try {
    const out = joinPath(root, "build");
    const { manifest } = await buildAssets({ rootDir: root, outDir: out });
    deepStrictEqual(Object.keys(manifest.islands), ["greeting"]);
    assert(/^\/static\/greeting-[A-Z0-9]{8}\.js$/.test(manifest.islands.greeting));
    assert(/^\/static\/site-[A-Z0-9]{8}\.css$/.test(manifest.styles[0]), manifest.styles[0]);
    assert(/^\/static\/logo-[0-9a-f]{10}\.svg$/.test(manifest.assets["logo.svg"]));

    const entry = manifest.islands.greeting.slice("/static/".length);
    const js = await Deno.readTextFile(joinPath(out, `static/${entry}`));
    assert(js.includes("Hello"), "the island's code is in its bundle");
    assert(js.includes("greeting"), "the entry hydrates by the island's name");
    deepStrictEqual(manifest.files[entry].contentType, "text/javascript; charset=utf-8");
    deepStrictEqual(readManifest(out), manifest);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("buildAssets writes .br and .gz siblings that decompress to the file", async () => {
  const root = await fixtureProject();
  try {
    const out = joinPath(root, "build");
    const { manifest } = await buildAssets({ rootDir: root, outDir: out });
    const entry = manifest.islands.greeting.slice("/static/".length);
    deepStrictEqual(manifest.files[entry].encodings, ["br", "gzip"]);
    const plain = await Deno.readFile(joinPath(out, `static/${entry}`));
    const br = brotliDecompressSync(await Deno.readFile(joinPath(out, `static/${entry}.br`)));
    const gz = gunzipSync(await Deno.readFile(joinPath(out, `static/${entry}.gz`)));
    deepStrictEqual([...new Uint8Array(br)], [...plain]);
    deepStrictEqual([...new Uint8Array(gz)], [...plain]);
    // Too small to win anything from compression: served as is.
    const logo = manifest.assets["logo.svg"].slice("/static/".length);
    deepStrictEqual(manifest.files[logo].encodings, []);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("isBuildStale notices edited sources, new islands and new static files", async () => {
  const root = await fixtureProject();
  try {
    const out = joinPath(root, "build");
    assert(await isBuildStale(root, readManifest(out)), "no build yet");
    await buildAssets({ rootDir: root, outDir: out });
    assert(!(await isBuildStale(root, readManifest(out))), "fresh right after a build");

    await Deno.writeTextFile(joinPath(root, "static/site.css"), "body { color: teal; }");
    assert(await isBuildStale(root, readManifest(out)), "an edited stylesheet");
    await buildAssets({ rootDir: root, outDir: out });

    await Deno.writeTextFile(joinPath(root, "static/extra.txt"), "hello");
    assert(await isBuildStale(root, readManifest(out)), "a new static file");
    await buildAssets({ rootDir: root, outDir: out });

    await Deno.writeTextFile(
      joinPath(root, "islands/counter.tsx"),
      "export default function Counter() { return <b>0</b>; }",
    );
    assert(await isBuildStale(root, readManifest(out)), "a new island");
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("a rebuild removes the previous build's hashed files", async () => {
  const root = await fixtureProject();
  try {
    const out = joinPath(root, "build");
    const first = await buildAssets({ rootDir: root, outDir: out });
    await Deno.writeTextFile(joinPath(root, "static/site.css"), "body { color: teal; }");
    const second = await buildAssets({ rootDir: root, outDir: out });
    assert(first.manifest.styles[0] !== second.manifest.styles[0], "new content, new name");
    const onDisk = [...Deno.readDirSync(joinPath(out, "static"))].map((e) => e.name).sort();
    const expected = Object.entries(second.manifest.files)
      .flatMap(([name, file]) => [
        name,
        ...file.encodings.map((e) => `${name}.${e === "br" ? "br" : "gz"}`),
      ])
      .sort();
    deepStrictEqual(onDisk, expected);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
});

Deno.test("the project's islands are the .tsx files in islands/", () => {
  const names = listIslandNames(projectRoot);
  assert(names.includes("digit_lab"), `islands: ${names}`);
});
