/**
 * The build manifest: what `deno task build` wrote to `build/` and what the server reads
 * back. The server only ever reads it, so a compiled binary can embed `build/` as is.
 *
 * @module
 */
import { joinPath } from "../../lib/join_path.ts";

/** One file under `build/static/`, addressed by its content-hashed name. */
export interface StaticFileEntry {
  contentType: string;
  /** Strong ETag value (without quotes): the file's content hash. */
  etag: string;
  size: number;
  /** Precompressed siblings written beside the file, e.g. `["br", "gzip"]`. */
  encodings: ContentEncoding[];
}

export type ContentEncoding = "br" | "gzip";

export interface AssetManifest {
  /** Source files (relative to the project root) the build read. */
  inputs: string[];
  /** Hash of every source file that went into the build; a different hash means stale. */
  inputsHash: string;
  builtAt: string;
  /** Island name (its file name in islands/) -> URL of its entry module. */
  islands: Record<string, string>;
  /** Island name -> URLs of the chunks its entry imports, for modulepreload hints. */
  islandImports: Record<string, string[]>;
  /** Stylesheet URLs every page links. */
  styles: string[];
  /** Other assets by their source name in static/ (e.g. "favicon.svg") -> URL. */
  assets: Record<string, string>;
  /** Hashed file name -> how to serve it. Only these files are ever served. */
  files: Record<string, StaticFileEntry>;
}

export const MANIFEST_FILE = "manifest.json";
export const STATIC_DIR = "static";
/** URL prefix under which `build/static/` is served. */
export const STATIC_URL_PREFIX = "/static/";

/** The project's build/ directory, found from this module (never the working directory). */
export function defaultBuildDir(): string {
  return decodeURIComponent(new URL("../../build/", import.meta.url).pathname);
}

/** Reads `manifest.json` from `buildDir`; `null` when there is no build yet. */
export function readManifest(buildDir: string): AssetManifest | null {
  let text: string;
  try {
    text = Deno.readTextFileSync(joinPath(buildDir, MANIFEST_FILE));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return null;
    throw error;
  }
  return JSON.parse(text) as AssetManifest;
}
