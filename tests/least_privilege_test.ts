/**
 * Least privilege, with the release permission flags (parsed from the compile task): the
 * server, attacked through every route that takes a path or a name, reads nothing outside the
 * project's runtime files and its models folder (Deno's permission audit log records every
 * access), never asks to run a process, write, load native code or read system information;
 * and the flags themselves deny spawning, writing and FFI.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { readCompileTask } from "./compile_task.ts";
import { runEntry } from "./release_server.ts";
import { DATABASE_HOST } from "../feedback/database_network.ts";
import { startServerProcess } from "./helpers/server_process.ts";
import { writeTestModels } from "./helpers/test_models.ts";

const ROOT = new URL("../", import.meta.url).pathname.replace(/\/$/, "");
const task = await readCompileTask();
const SECRET = "least-privilege-secret-4e1d";

function realPath(path: string): string {
  try {
    return Deno.realPathSync(path);
  } catch {
    return path;
  }
}

interface AuditEntry {
  permission: string;
  value?: string | null;
}

/** Requests aimed at files outside the served ones, through every path- or name-taking route. */
function attacks(secretPath: string): string[] {
  const ups = ["..", "%2e%2e", "%252e%252e", "..%5c"];
  const files = ["etc/passwd", secretPath.slice(1), "proc/self/environ", "deno.json"];
  const targets: string[] = [];
  for (const up of ups) {
    for (const file of files) {
      const climb = `${up}/`.repeat(8).replaceAll("/", up.startsWith("%") ? "%2f" : "/") + file;
      targets.push(
        `/static/${climb}`,
        `/docs/${climb}`,
        `/models/${climb}`,
        `/models/${climb}/augmentations.png`,
        `/?model=${climb}`,
        `/model_info?model=${climb}`,
        `/predict?model=${climb}`,
      );
    }
  }
  targets.push(`/static/${secretPath}`, `/static/%2f${secretPath.slice(1)}`);
  return targets;
}

/** Runs `source` under the release flags and returns the JSON it prints. */
async function runProbe(source: string): Promise<unknown> {
  const dir = await Deno.makeTempDir({ prefix: "digitlab-probe-" });
  try {
    await Deno.writeTextFile(`${dir}/probe.ts`, source);
    const { stdout, stderr } = await new Deno.Command(Deno.execPath(), {
      args: ["run", "--no-prompt", ...task.permissions, `${dir}/probe.ts`],
      stdout: "piped",
      stderr: "piped",
    }).output();
    const text = new TextDecoder().decode(stdout).trim();
    assert(text, new TextDecoder().decode(stderr));
    return JSON.parse(text);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

async function raw(url: string, method: string, target: string): Promise<[number, string]> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  try {
    const body = method === "POST" ? "x" : "";
    await connection.write(new TextEncoder().encode(
      `${method} ${target} HTTP/1.1\r\nHost: t\r\nConnection: close\r\n` +
        `Content-Type: image/png\r\nContent-Length: ${body.length}\r\n\r\n${body}`,
    ));
    let text = "";
    const buffer = new Uint8Array(65536);
    for (let n; (n = await connection.read(buffer)) !== null;) {
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
    return [Number(text.split(" ")[1]), text];
  } finally {
    connection.close();
  }
}

Deno.test("with the release flags, no route reads outside the project and models, or spawns", async () => {
  const modelsDir = await writeTestModels(["cnn-aug"]);
  const outside = await Deno.makeTempDir({ prefix: "digitlab-outside-" });
  const secretPath = `${outside}/secret.txt`;
  await Deno.writeTextFile(secretPath, SECRET);
  const auditLog = `${outside}/audit.jsonl`;
  const cwd = await Deno.makeTempDir({ prefix: "digitlab-cwd-" });
  const server = await startServerProcess({
    args: ["--models", modelsDir],
    cwd,
    env: { DENO_AUDIT_PERMISSIONS: auditLog },
  });
  try {
    const leaks: string[] = [];
    for (const target of attacks(secretPath)) {
      const method = target.startsWith("/predict") ? "POST" : "GET";
      const [status, text] = await raw(server.url, method, target);
      if (status >= 500 || status === 0) leaks.push(`${method} ${target}: ${status}`);
      if (text.includes(SECRET) || text.includes("root:x:0:0") || text.includes("PATH=")) {
        leaks.push(`${method} ${target}: leaked a file`);
      }
      if (status === 200 && !target.startsWith("/?model=")) leaks.push(`${target}: 200`);
    }
    deepStrictEqual(leaks, [], leaks.join("\n"));
    // And the routes do work: the model card's files and a prediction are served.
    const [status] = await raw(server.url, "GET", "/models/cnn-aug");
    deepStrictEqual(status, 200);
  } finally {
    deepStrictEqual(await server.stop(), 0, server.output());
  }

  try {
    const entries = (await Deno.readTextFile(auditLog)).trim().split("\n")
      .map((line) => JSON.parse(line) as AuditEntry);
    // The log holds checks, granted or not: node:fs's open also checks "write" for files it
    // reads (denied: the flags grant no writing, as the next test shows). Running programs and
    // native code are never even asked for.
    for (const kind of ["run", "ffi"]) {
      const asked = entries.filter((e) => e.permission === kind);
      deepStrictEqual(asked, [], `the server asked for ${kind}`);
    }
    const reads = [
      ...new Set(
        entries.filter((e) => e.permission === "read")
          // Workers load their modules by file: URL.
          .map((e) => e.value?.startsWith("file://") ? new URL(e.value).pathname : e.value)
          .map((path) => path ?? "(all)"),
      ),
    ];
    // The project (its node_modules and build may be links elsewhere) and the models folder.
    const allowedRoots = [
      ROOT,
      // Where the feedback database lives.
      realPath(server.dataDir),
      realPath(`${ROOT}/node_modules`),
      realPath(`${ROOT}/build`),
      modelsDir,
    ];
    const outsideReads = reads.filter((path) =>
      !allowedRoots.some((root) => path === root || path.startsWith(`${root}/`))
    );
    deepStrictEqual(outsideReads, [], `read outside ${allowedRoots}: ${outsideReads.slice(0, 10)}`);
    assert(reads.length > 0, "the audit log recorded no reads: is it working?");
  } finally {
    await Deno.remove(outside, { recursive: true });
    await Deno.remove(modelsDir, { recursive: true });
    await Deno.remove(cwd, { recursive: true });
  }
});

Deno.test("the release flags deny spawning processes and native code; writing once the server drops it", async () => {
  // The server's first act after opening its feedback database (main.ts).
  const dropper = JSON.stringify(`${ROOT}/server/drop_write_permission.ts`);
  const probe = `
    import { dropWritePermission } from ${dropper};
    await dropWritePermission();
    const tries = {
      run: () => new Deno.Command("true").output(),
      write: () => Deno.writeTextFile("/tmp/digitlab-probe-" + Date.now(), "x"),
      ffi: () => Deno.dlopen("libc.so.6", {}),
      sys: () => Deno.osRelease(),
    };
    const result = {};
    for (const [name, attempt] of Object.entries(tries)) {
      try { await attempt(); result[name] = "allowed"; }
      catch (error) { result[name] = error instanceof Deno.errors.NotCapable ? "denied" : String(error); }
    }
    console.log(JSON.stringify(result));
  `;
  deepStrictEqual(await runProbe(probe), {
    run: "denied",
    write: "denied",
    ffi: "denied",
    sys: "denied",
  });
});

Deno.test("the release flags let the server listen and reach only loopback and the database name", async () => {
  const net = task.permissions.find((flag) => flag.startsWith("--allow-net")) ?? "";
  assert(net?.startsWith("--allow-net="), `the compile task grants the whole network: ${net}`);
  assert(net.split("=")[1].split(",").includes(DATABASE_HOST), net);
  const probe = `
    const hosts = ["0.0.0.0:8000", "[::]:8000", "127.0.0.1:5432", "localhost:5432",
      ${JSON.stringify(DATABASE_HOST)}, "digitlab-db:22", "203.0.113.5:5432", "example.com:443"];
    const result = {};
    for (const host of hosts) result[host] = (await Deno.permissions.query({ name: "net", host })).state;
    const listener = Deno.listen({ hostname: "0.0.0.0", port: 0 });
    result.listen = "ok";
    listener.close();
    try { await Deno.connect({ hostname: "203.0.113.5", port: 5432 }); result.connect = "allowed"; }
    catch (error) { result.connect = error instanceof Deno.errors.NotCapable ? "denied" : String(error); }
    console.log(JSON.stringify(result));
  `;
  deepStrictEqual(await runProbe(probe), {
    "0.0.0.0:8000": "granted",
    "[::]:8000": "granted",
    "127.0.0.1:5432": "granted",
    "localhost:5432": "granted",
    [DATABASE_HOST]: "granted",
    "digitlab-db:22": "prompt",
    "203.0.113.5:5432": "prompt",
    "example.com:443": "prompt",
    listen: "ok",
    connect: "denied",
  });
});

Deno.test("with the release flags, a --feedback-db on another host stops the start with a message", async () => {
  const cwd = await Deno.makeTempDir({ prefix: "digitlab-net-db-" });
  try {
    const { code, output } = await runEntry(task.entry, task.permissions, [
      "--port",
      "0",
      "--feedback-db",
      "postgres://digitlab@203.0.113.5:5432/digitlab",
    ], cwd);
    deepStrictEqual(code, 1, output);
    assert.match(
      output,
      /may connect only to digitlab-db:5432 and loopback, not 203\.0\.113\.5:5432/,
    );
  } finally {
    await Deno.remove(cwd, { recursive: true });
  }
});
