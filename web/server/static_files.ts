/**
 * Serves the built assets under `/static/`. Only files the build manifest lists are served,
 * so a request path can never reach outside `build/static/` (no traversal to guard against:
 * the name is a lookup key, not a path). Every built file has a content hash in its name,
 * so responses are cacheable forever; precompressed .br/.gz siblings are chosen by
 * Accept-Encoding, nothing is compressed per request.
 *
 * @module
 */
import type { Context } from "hono";
import {
  type AssetManifest,
  type ContentEncoding,
  STATIC_DIR,
  STATIC_URL_PREFIX,
} from "./manifest.ts";
import { joinPath } from "../../lib/join_path.ts";

export interface StaticFilesOptions {
  /** Directory holding `manifest.json` and `static/`. */
  buildDir: string;
  manifest: AssetManifest | null;
}

const IMMUTABLE = "public, max-age=31536000, immutable";
const SUFFIX: Record<ContentEncoding, string> = { br: ".br", gzip: ".gz" };

/**
 * A Hono handler for `GET /static/*` (Hono answers HEAD through GET handlers and drops the
 * body).
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import { readManifest } from "./manifest.ts";
 *
 * const buildDir = "build";
 * const app = new Hono();
 * app.get("/static/*", staticFiles({ buildDir, manifest: readManifest(buildDir) }));
 * ```
 */
export function staticFiles({ buildDir, manifest }: StaticFilesOptions) {
  const cache = new Map<string, Uint8Array>();
  const read = async (file: string) => {
    let bytes = cache.get(file);
    if (bytes === undefined) {
      bytes = await Deno.readFile(joinPath(joinPath(buildDir, STATIC_DIR), file));
      cache.set(file, bytes);
    }
    return bytes;
  };

  return async function serveStaticFile(c: Context): Promise<Response> {
    const pathname = new URL(c.req.url).pathname;
    const name = pathname.startsWith(STATIC_URL_PREFIX)
      ? pathname.slice(STATIC_URL_PREFIX.length)
      : "";
    const entry = Object.hasOwn(manifest?.files ?? {}, name) ? manifest!.files[name] : undefined;
    if (entry === undefined) return c.text("Not Found", 404);

    const encoding = chooseEncoding(c.req.header("Accept-Encoding") ?? "", entry.encodings);
    // Each encoding is its own representation, so each gets its own validator.
    const etag = `"${entry.etag}${encoding ? `-${encoding}` : ""}"`;
    const headers = new Headers({
      "Content-Type": entry.contentType,
      "Cache-Control": IMMUTABLE,
      "ETag": etag,
      "Vary": "Accept-Encoding",
      "X-Content-Type-Options": "nosniff",
    });
    if (encoding) headers.set("Content-Encoding", encoding);
    if (etagMatches(c.req.header("If-None-Match"), etag)) {
      return new Response(null, { status: 304, headers });
    }

    const file = name + (encoding ? SUFFIX[encoding] : "");
    const bytes = await read(file);
    headers.set("Content-Length", String(bytes.length));
    if (c.req.method === "HEAD") return new Response(null, { status: 200, headers });
    return new Response(bytes as Uint8Array<ArrayBuffer>, { status: 200, headers });
  };
}

/**
 * The best precompressed encoding the client accepts: brotli over gzip, `null` for identity.
 * Honours `q=0` (explicit refusal); other q-values only matter as non-zero.
 */
export function chooseEncoding(
  acceptEncoding: string,
  available: ContentEncoding[],
): ContentEncoding | null {
  const accepted = new Set<string>();
  for (const part of acceptEncoding.toLowerCase().split(",")) {
    const [token, ...params] = part.trim().split(";").map((s) => s.trim());
    const q = params.find((p) => p.startsWith("q="));
    if (token && !(q !== undefined && Number(q.slice(2)) === 0)) accepted.add(token);
  }
  for (const encoding of ["br", "gzip"] as const) {
    if (available.includes(encoding) && (accepted.has(encoding) || accepted.has("*"))) {
      return encoding;
    }
  }
  return null;
}

/** If-None-Match uses weak comparison: `W/"x"` matches `"x"`; `*` matches anything. */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (ifNoneMatch === undefined) return false;
  const bare = etag.replace(/^W\//, "");
  return ifNoneMatch.split(",").some((candidate) => {
    const tag = candidate.trim();
    return tag === "*" || tag.replace(/^W\//, "") === bare;
  });
}
