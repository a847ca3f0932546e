/**
 * No path traversal through any route that takes a path or a name: `/static/*`, `/docs/:file`,
 * `/models/:name`, `/models/:name/augmentations.png` and `?model=`. Requests go over raw TCP so
 * nothing normalises them on the way (`..`, `%2e%2e`, `%2f`, double encoding, backslashes,
 * overlong UTF-8, NUL). A secret file sits beside the models folder; neither it nor any file
 * outside what the routes serve may come back. Also: every HTML response carries the security
 * headers.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { writeTestModels } from "./helpers/test_models.ts";
import { startTestServer, type TestServer } from "./helpers/test_server.ts";

const SECRET = "digitlab-secret-7c1f0e";
const modelsDir = await writeTestModels(["cnn-aug"]);
const secretDir = modelsDir.replace(/\/[^/]+$/, "");
const secretName = `digitlab-secret-${crypto.randomUUID()}.txt`;
await Deno.writeTextFile(`${secretDir}/${secretName}`, SECRET);
await Deno.writeTextFile(`${modelsDir}/secret.png`, SECRET);
globalThis.addEventListener("unload", () => {
  Deno.removeSync(modelsDir, { recursive: true });
  Deno.removeSync(`${secretDir}/${secretName}`);
});
const PROJECT_FILE_MARK = '"nodeModulesDir"'; // in deno.json
const PASSWD_MARK = "root:x:0:0";

interface RawAnswer {
  status: number;
  headers: Headers;
  body: string;
}

/** One HTTP/1.1 request with the target exactly as written. */
async function rawGet(url: string, target: string): Promise<RawAnswer> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    await connection.write(
      new TextEncoder().encode(`GET ${target} HTTP/1.1\r\nHost: test\r\nConnection: close\r\n\r\n`),
    );
    const chunks: Uint8Array[] = [];
    const buffer = new Uint8Array(64 * 1024);
    while (true) {
      const n = await connection.read(buffer);
      if (n === null) break;
      chunks.push(buffer.slice(0, n));
    }
    const text = new TextDecoder().decode(
      new Uint8Array(chunks.flatMap((c) => [...c])),
    );
    const [head, ...rest] = text.split("\r\n\r\n");
    const [statusLine, ...headerLines] = head.split("\r\n");
    const headers = new Headers();
    for (const line of headerLines) {
      const colon = line.indexOf(":");
      headers.append(line.slice(0, colon).trim(), line.slice(colon + 1).trim());
    }
    return { status: Number(statusLine.split(" ")[1]), headers, body: rest.join("\r\n\r\n") };
  } finally {
    connection.close();
  }
}

/** Ways to write "go up" in a path segment. */
const UP = [
  "..",
  "%2e%2e",
  "%2E%2E",
  ".%2e",
  "%2e.",
  "%252e%252e",
  "%c0%ae%c0%ae",
  "..%00",
];
/** Ways to write "/" inside a segment. */
const SLASH = ["/", "%2f", "%2F", "%252f", "%5c", "\\", "%c0%af"];

function climbs(to: string, depth: number): string[] {
  const paths: string[] = [];
  for (const up of UP) {
    for (const slash of SLASH) paths.push(`${`${up}${slash}`.repeat(depth)}${to}`);
  }
  return paths;
}

const TARGETS = [
  "deno.json",
  "etc/passwd",
  `${secretName}`,
  "models/cnn-aug.json",
  "build/manifest.json",
];

function traversalTargets(): string[] {
  const targets: string[] = [];
  for (const file of TARGETS) {
    for (const depth of [1, 3, 8]) {
      for (const climb of climbs(file, depth)) {
        targets.push(`/static/${climb}`);
        targets.push(`/docs/${climb}`);
        targets.push(`/models/${climb}`);
        targets.push(`/models/${climb}/augmentations.png`);
        targets.push(`/models/cnn-aug/${climb}`);
        targets.push(`/?model=${climb}`);
        targets.push(`/model_info?model=${climb}`);
      }
    }
  }
  for (const absolute of ["/etc/passwd", "%2fetc%2fpasswd", "%252fetc%252fpasswd"]) {
    targets.push(`/static/${absolute}`, `/static//${absolute}`, `/docs/${absolute}`);
    targets.push(`/models/${absolute}/augmentations.png`, `/model_info?model=${absolute}`);
  }
  // Names that are files the server has, but not under the URL asked.
  targets.push(
    "/static/manifest.json",
    "/static/../manifest.json",
    "/static/%2e%2e/manifest.json",
    "/docs/package.json",
    "/docs/swagger-ui.js",
    "/docs/index.js",
    "/models/cnn-aug.onnx",
    "/models/cnn-aug.json",
    "/models/secret/augmentations.png",
    "/static/secret.png",
  );
  return targets;
}

async function withServer(fn: (server: TestServer) => Promise<void>) {
  const server = await startTestServer({ modelsDir });
  try {
    await fn(server);
  } finally {
    await server.close();
  }
}

Deno.test("no route reads outside what it serves, however the path is written", async () => {
  await withServer(async (server) => {
    const targets = traversalTargets();
    const leaks: string[] = [];
    const statuses = new Map<number, number>();
    for (const target of targets) {
      const { status, body } = await rawGet(server.url, target);
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      if (status >= 500) leaks.push(`${target}: ${status}`);
      for (const mark of [SECRET, PROJECT_FILE_MARK, PASSWD_MARK]) {
        if (body.includes(mark)) leaks.push(`${target}: ${status} with "${mark}"`);
      }
      // Only the draw page may be 200 (an unknown ?model= falls back to the default model);
      // nothing under /static, /docs, /models or /model_info.
      if (status === 200 && !target.startsWith("/?model=")) leaks.push(`${target}: 200`);
    }
    console.log(
      `${targets.length} traversal attempts: ` +
        JSON.stringify(Object.fromEntries([...statuses].sort())),
    );
    deepStrictEqual(leaks, [], `leaks:\n${leaks.slice(0, 30).join("\n")}`);
  });
});

Deno.test("/model_info?model=<path> is a 404 for every traversal, never a file", async () => {
  await withServer(async (server) => {
    for (const climb of climbs("cnn-aug", 2)) {
      const { status, body } = await rawGet(server.url, `/model_info?model=${climb}`);
      deepStrictEqual(status, 404, `${climb}: ${body}`);
    }
  });
});

Deno.test("the real assets are served (the traversal test is not passing by serving nothing)", async () => {
  await withServer(async (server) => {
    const page = await rawGet(server.url, "/");
    deepStrictEqual(page.status, 200);
    const assets = [...page.body.matchAll(/(?:src|href)="(\/static\/[^"]+)"/g)].map((m) => m[1]);
    assert(assets.length > 0, "the page links no /static assets: is the UI built?");
    for (const asset of assets) {
      deepStrictEqual((await rawGet(server.url, asset)).status, 200, asset);
    }
    deepStrictEqual((await rawGet(server.url, "/docs/swagger-ui.css")).status, 200);
    deepStrictEqual((await rawGet(server.url, "/models/cnn-aug")).status, 200);
  });
});

Deno.test("every HTML response carries the security headers", async () => {
  await withServer(async (server) => {
    const pages = ["/", "/?model=cnn-aug", "/models/cnn-aug", "/models/nope", "/docs"];
    for (const path of pages) {
      const { status, headers } = await rawGet(server.url, path);
      assert(headers.get("content-type")?.startsWith("text/html"), `${path} (${status}) not HTML`);
      const policy = headers.get("content-security-policy") ?? "";
      assert(policy.includes("frame-ancestors 'none'"), `${path}: CSP ${policy}`);
      assert(!policy.includes("unsafe-eval"), `${path}: CSP allows eval`);
      deepStrictEqual(headers.get("x-content-type-options"), "nosniff", path);
      deepStrictEqual(headers.get("x-frame-options"), "DENY", path);
      deepStrictEqual(headers.get("referrer-policy"), "no-referrer", path);
    }
  });
});
