/**
 * Builds the browser side: bundles each island in islands/ with esbuild (JSX automatic,
 * preact as import source), minifies static/*.css, gives every file a content-hashed name,
 * writes .br/.gz siblings and finally `manifest.json`. The server never builds: it only reads
 * what this wrote.
 *
 * @module
 */
import * as esbuild from "esbuild";
import { brotliCompressSync, constants as zlibConstants, gzipSync } from "node:zlib";
import {
  type AssetManifest,
  type ContentEncoding,
  MANIFEST_FILE,
  STATIC_DIR,
  STATIC_URL_PREFIX,
  type StaticFileEntry,
} from "../server/manifest.ts";
import { joinPath } from "../../lib/join_path.ts";

export interface BuildOptions {
  /** Project root holding islands/, static/ and web/. */
  rootDir: string;
  /** Output directory; `build/` in the project. */
  outDir: string;
  /** Minify output (default true); tests may turn it off to read the bundles. */
  minify?: boolean;
}

export interface BuildResult {
  manifest: AssetManifest;
  /** Gzip size per island entry including the chunks it imports, in bytes. */
  islandGzipBytes: Record<string, number>;
}

/** Sources beyond the bundler's own inputs that change what a build produces. */
const BUILD_CONFIG_FILES = ["deno.json", "deno.lock", "web/bundle/build_assets.ts"];
const ISLAND_ENTRY_NAMESPACE = "island-entry";
const COMPRESSIBLE = /\.(js|css|svg|json|txt)$/;
/** Below this size the compressed file plus headers rarely wins. */
const MIN_COMPRESS_BYTES = 256;

const CONTENT_TYPES: Record<string, string> = {
  js: "text/javascript; charset=utf-8",
  css: "text/css; charset=utf-8",
  svg: "image/svg+xml",
  png: "image/png",
  ico: "image/x-icon",
  json: "application/json",
  txt: "text/plain; charset=utf-8",
};

/** Builds everything into `outDir` and returns the manifest it wrote. */
export async function buildAssets(options: BuildOptions): Promise<BuildResult> {
  const { rootDir, outDir } = options;
  const islandNames = listIslandNames(rootDir);
  const staticSources = listStaticSources(rootDir);
  const stylesheets = staticSources.filter((name) => name.endsWith(".css"));
  const otherAssets = staticSources.filter((name) => !name.endsWith(".css"));

  const result = await esbuild.build({
    absWorkingDir: rootDir,
    entryPoints: [
      ...islandNames.map((name) => ({ in: `${ISLAND_ENTRY_NAMESPACE}:${name}`, out: name })),
      ...stylesheets.map((name) => ({ in: `./${STATIC_DIR}/${name}`, out: stripExtension(name) })),
    ],
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "browser",
    target: ["es2022"],
    jsx: "automatic",
    jsxImportSource: "preact",
    minify: options.minify ?? true,
    entryNames: "[name]-[hash]",
    chunkNames: "chunk-[hash]",
    outdir: joinPath(outDir, STATIC_DIR),
    write: false,
    metafile: true,
    logLevel: "silent",
    plugins: [islandEntryPlugin(rootDir)],
  }).finally(() => esbuild.stop());

  const staticOut = joinPath(outDir, STATIC_DIR);
  await Deno.remove(staticOut, { recursive: true }).catch((error) => {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  });
  await Deno.mkdir(staticOut, { recursive: true });

  const files: Record<string, StaticFileEntry> = {};
  for (const output of result.outputFiles) {
    const name = baseName(output.path);
    files[name] = await writeStaticFile(staticOut, name, output.contents);
  }
  const assets: Record<string, string> = {};
  for (const source of otherAssets) {
    const bytes = await Deno.readFile(joinPath(rootDir, `${STATIC_DIR}/${source}`));
    const hashed = `${stripExtension(source)}-${(await sha256Hex(bytes)).slice(0, 10)}` +
      extension(source);
    files[hashed] = await writeStaticFile(staticOut, hashed, bytes);
    assets[source] = STATIC_URL_PREFIX + hashed;
  }

  const islands: Record<string, string> = {};
  const islandImports: Record<string, string[]> = {};
  const styles: string[] = [];
  for (const [path, output] of Object.entries(result.metafile.outputs)) {
    const url = STATIC_URL_PREFIX + baseName(path);
    const entry = output.entryPoint;
    if (entry?.startsWith(`${ISLAND_ENTRY_NAMESPACE}:`)) {
      const island = entry.slice(ISLAND_ENTRY_NAMESPACE.length + 1);
      islands[island] = url;
      islandImports[island] = staticImportClosure(result.metafile, path)
        .map((chunk) => STATIC_URL_PREFIX + baseName(chunk));
    } else if (path.endsWith(".css") && entry !== undefined) {
      styles.push(url);
    }
  }

  const inputs = collectInputs(result.metafile, otherAssets.map((name) => `${STATIC_DIR}/${name}`));
  const manifest: AssetManifest = {
    inputs,
    inputsHash: await hashInputs(rootDir, inputs),
    builtAt: new Date().toISOString(),
    islands,
    islandImports,
    styles: styles.sort(),
    assets,
    files,
  };
  // The manifest goes last: a build that died half-way leaves the old manifest or none.
  await Deno.writeTextFile(joinPath(outDir, MANIFEST_FILE), JSON.stringify(manifest, null, 2));

  const islandGzipBytes: Record<string, number> = {};
  for (const [island, url] of Object.entries(islands)) {
    islandGzipBytes[island] = [url, ...islandImports[island]]
      .map((u) => gzippedSize(result.outputFiles, u))
      .reduce((a, b) => a + b, 0);
  }
  return { manifest, islandGzipBytes };
}

/**
 * Whether `outDir` lacks a build, or one of the sources it was built from changed, or an
 * island or static file was added or removed since.
 */
export async function isBuildStale(rootDir: string, manifest: AssetManifest | null) {
  if (manifest === null) return true;
  const builtIslands = Object.keys(manifest.islands).sort();
  if (builtIslands.join() !== listIslandNames(rootDir).join()) return true;
  const sources = listStaticSources(rootDir).map((name) => `${STATIC_DIR}/${name}`);
  if (sources.some((path) => !manifest.inputs.includes(path))) return true;
  return await hashInputs(rootDir, manifest.inputs) !== manifest.inputsHash;
}

/** Island names: the .tsx files directly in islands/, minus tests. */
export function listIslandNames(rootDir: string): string[] {
  return listFiles(joinPath(rootDir, "islands"))
    .filter((name) => name.endsWith(".tsx") && !name.includes("_test."))
    .map(stripExtension)
    .sort();
}

function listStaticSources(rootDir: string): string[] {
  return listFiles(joinPath(rootDir, STATIC_DIR)).filter((name) => !name.startsWith("."));
}

function listFiles(dir: string): string[] {
  try {
    return [...Deno.readDirSync(dir)].filter((entry) => entry.isFile).map((entry) => entry.name)
      .sort();
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return [];
    throw error;
  }
}

/**
 * Each island gets a tiny generated entry module: import the component and hydrate every
 * element marked with its name. Generated rather than hand-written so adding an island is
 * adding one file.
 */
function islandEntryPlugin(rootDir: string): esbuild.Plugin {
  return {
    name: "island-entries",
    setup(build) {
      // The metafile then names the entry "island-entry:<name>".
      build.onResolve({ filter: new RegExp(`^${ISLAND_ENTRY_NAMESPACE}:`) }, (args) => ({
        path: args.path.slice(ISLAND_ENTRY_NAMESPACE.length + 1),
        namespace: ISLAND_ENTRY_NAMESPACE,
      }));
      build.onLoad({ filter: /.*/, namespace: ISLAND_ENTRY_NAMESPACE }, (args) => {
        const name = args.path;
        return {
          contents: [
            `import Island from "./islands/${name}.tsx";`,
            `import { hydrateIslands } from "./web/browser/hydrate.ts";`,
            `hydrateIslands(${JSON.stringify(name)}, Island);`,
          ].join("\n"),
          loader: "ts",
          resolveDir: rootDir,
        };
      });
    },
  };
}

async function writeStaticFile(
  dir: string,
  name: string,
  bytes: Uint8Array,
): Promise<StaticFileEntry> {
  await Deno.writeFile(joinPath(dir, name), bytes);
  const encodings: ContentEncoding[] = [];
  if (COMPRESSIBLE.test(name) && bytes.length >= MIN_COMPRESS_BYTES) {
    const brotli = brotliCompressSync(bytes, {
      params: { [zlibConstants.BROTLI_PARAM_QUALITY]: 11 },
    });
    if (brotli.length < bytes.length) {
      await Deno.writeFile(joinPath(dir, `${name}.br`), brotli);
      encodings.push("br");
    }
    const gzip = gzipSync(bytes, { level: 9 });
    if (gzip.length < bytes.length) {
      await Deno.writeFile(joinPath(dir, `${name}.gz`), gzip);
      encodings.push("gzip");
    }
  }
  return {
    contentType: CONTENT_TYPES[extension(name).slice(1)] ?? "application/octet-stream",
    etag: (await sha256Hex(bytes)).slice(0, 32),
    size: bytes.length,
    encodings,
  };
}

/** Every chunk an output statically imports, directly or through other chunks. */
function staticImportClosure(metafile: esbuild.Metafile, outputPath: string): string[] {
  const seen = new Set<string>();
  const visit = (path: string) => {
    for (const imported of metafile.outputs[path]?.imports ?? []) {
      if (imported.kind !== "import-statement" || seen.has(imported.path)) continue;
      seen.add(imported.path);
      visit(imported.path);
    }
  };
  visit(outputPath);
  return [...seen].sort();
}

/** Source files (relative to the root) the build read, plus the build's own config. */
function collectInputs(metafile: esbuild.Metafile, copied: string[]): string[] {
  const bundled = Object.keys(metafile.inputs).filter((path) => !path.includes(":"));
  return [...new Set([...bundled, ...copied, ...BUILD_CONFIG_FILES])].sort();
}

async function hashInputs(rootDir: string, inputs: string[]): Promise<string> {
  const parts: Uint8Array[] = [];
  const encoder = new TextEncoder();
  for (const path of inputs) {
    parts.push(encoder.encode(`${path}\0`), await readOrEmpty(joinPath(rootDir, path)));
  }
  const all = new Uint8Array(parts.reduce((n, part) => n + part.length, 0));
  let offset = 0;
  for (const part of parts) {
    all.set(part, offset);
    offset += part.length;
  }
  return await sha256Hex(all);
}

/** A missing input hashes as empty: deleting a source then changes the hash like editing it. */
async function readOrEmpty(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return new Uint8Array();
    throw error;
  }
}

async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

function gzippedSize(outputs: esbuild.OutputFile[], url: string): number {
  const output = outputs.find((file) => STATIC_URL_PREFIX + baseName(file.path) === url);
  return output === undefined ? 0 : gzipSync(output.contents, { level: 9 }).length;
}

function baseName(path: string): string {
  return path.slice(path.lastIndexOf("/") + 1);
}

function extension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? "" : name.slice(dot);
}

function stripExtension(name: string): string {
  const dot = name.lastIndexOf(".");
  return dot <= 0 ? name : name.slice(0, dot);
}
