/**
 * `deno task build`: bundles the islands and static files into build/ (see
 * web/bundle/build_assets.ts). Skips the work when build/ was made from the same sources, so the
 * start task can run it every time; `--force` rebuilds anyway.
 *
 * @module
 */
import { buildAssets, isBuildStale } from "./web/bundle/build_assets.ts";
import { defaultBuildDir, readManifest } from "./web/server/manifest.ts";

const rootDir = new URL(".", import.meta.url).pathname;
const outDir = defaultBuildDir();

if (!Deno.args.includes("--force") && !(await isBuildStale(rootDir, readManifest(outDir)))) {
  console.log("build/ is up to date (use --force to rebuild)");
} else {
  const started = performance.now();
  const { manifest, islandGzipBytes } = await buildAssets({ rootDir, outDir });
  const seconds = ((performance.now() - started) / 1000).toFixed(2);
  console.log(`built ${Object.keys(manifest.files).length} files into build/ in ${seconds} s`);
  for (const [island, bytes] of Object.entries(islandGzipBytes)) {
    console.log(`  island ${island}: ${(bytes / 1024).toFixed(1)} KB gzip with its chunks`);
  }
}
