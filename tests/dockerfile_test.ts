/**
 * There is no Docker engine on our machines, so the Dockerfile is linted (npm dockerfilelint,
 * zero issues) and checked against the rest of the project: the Deno version CI uses, the
 * compile task's output path, the port and the healthcheck. compose.yaml is checked the same way.
 */
import dockerfilelint from "dockerfilelint";
import { parse as parseYaml } from "yaml";
import assert, { deepStrictEqual } from "node:assert/strict";
import { readCompileTask } from "./compile_task.ts";

const ROOT = new URL("../", import.meta.url);
const BINARY = "/usr/local/bin/digitlab";
const PORT = "8000";

interface Instruction {
  keyword: string;
  args: string;
  line: number;
}

/** Instructions per build stage; continuation lines joined, comments dropped. */
function parseStages(text: string): Instruction[][] {
  const stages: Instruction[][] = [];
  let pending = "";
  let startLine = 0;
  text.split("\n").forEach((raw, index) => {
    const line = raw.trim();
    if (pending === "" && (line === "" || line.startsWith("#"))) return;
    if (pending === "") startLine = index + 1;
    if (line.endsWith("\\")) {
      pending += line.slice(0, -1) + " ";
      return;
    }
    const full = (pending + line).trim();
    pending = "";
    const [keyword] = full.split(/\s+/, 1);
    const instruction = {
      keyword: keyword.toUpperCase(),
      args: full.slice(keyword.length).trim(),
      line: startLine,
    };
    if (instruction.keyword === "FROM") stages.push([]);
    stages.at(-1)?.push(instruction);
  });
  return stages;
}

function only(stage: Instruction[], keyword: string): Instruction {
  const found = stage.filter((i) => i.keyword === keyword);
  deepStrictEqual(found.length, 1, `expected one ${keyword} in the stage`);
  return found[0];
}

/** The JSON array of an exec-form instruction (ENTRYPOINT/CMD/HEALTHCHECK ... CMD [...]). */
function execForm(args: string): string[] {
  const start = args.indexOf("[");
  assert(start >= 0, `not in exec form: ${args}`);
  return JSON.parse(args.slice(start));
}

const dockerfile = await Deno.readTextFile(new URL("Dockerfile", ROOT));
const stages = parseStages(dockerfile);
const builder = stages[0];
const runtime = stages.at(-1)!;

Deno.test("dockerfilelint finds no issues", () => {
  const issues = dockerfilelint.run(ROOT.pathname, dockerfile) as unknown[];
  deepStrictEqual(issues, [], `dockerfilelint:\n${JSON.stringify(issues, null, 2)}`);
});

Deno.test("builder uses the official Deno image at the version CI installs", async () => {
  const ciScript = await Deno.readTextFile(new URL(".ci/run", ROOT));
  const ciVersion = ciScript.match(/deno@(\d+\.\d+\.\d+)/)?.[1];
  assert(ciVersion, ".ci/run pins no deno@x.y.z");
  deepStrictEqual(only(builder, "FROM").args.split(/\s+/)[0], `denoland/deno:${ciVersion}`);
  const runs = builder.filter((i) => i.keyword === "RUN").map((i) => i.args).join(" && ");
  for (const task of ["build", "compile"]) {
    assert(runs.includes(`deno task ${task}`), `builder never runs deno task ${task}`);
  }
});

Deno.test("runtime stage copies the compiled binary and runs it as non-root on port 8000", async () => {
  assert(stages.length >= 2, "expected a multi-stage build");
  const { output } = await readCompileTask();
  const workdir = only(builder, "WORKDIR").args;
  const copies = runtime.filter((i) => i.keyword === "COPY").map((i) => i.args.split(/\s+/));
  const binary = copies.filter((copy) => copy.includes(`${workdir}/${output}`));
  deepStrictEqual(binary, [[`--from=builder`, `${workdir}/${output}`, BINARY]]);

  const user = only(runtime, "USER").args.split(":")[0];
  assert(!["root", "0"].includes(user), `runtime runs as ${user}`);
  deepStrictEqual(only(runtime, "EXPOSE").args, PORT);
  deepStrictEqual(execForm(only(runtime, "ENTRYPOINT").args), [BINARY]);
  deepStrictEqual(execForm(only(runtime, "CMD").args), ["--host", "0.0.0.0", "--port", PORT]);
  deepStrictEqual(execForm(only(runtime, "HEALTHCHECK").args), [BINARY, "healthcheck"]);
});

Deno.test("runtime stage has the data folder, owned by the runtime user, as a volume", () => {
  const user = only(runtime, "USER").args;
  const dataDir = runtime.filter((i) => i.keyword === "ENV")
    .map((i) => /DIGITLAB_DATA_DIR=(\S+)/.exec(i.args)?.[1]).find(Boolean);
  assert(dataDir, "no DIGITLAB_DATA_DIR in the runtime stage");
  const copy = runtime.filter((i) => i.keyword === "COPY").map((i) => i.args.split(/\s+/))
    .find((args) => args.at(-1) === dataDir);
  assert(copy?.includes(`--chown=${user}`), `${dataDir} is not created owned by ${user}`);
  deepStrictEqual(JSON.parse(only(runtime, "VOLUME").args), [dataDir]);
});

Deno.test("build context keeps sources and leaves out local installs and builds", async () => {
  const ignored = (await Deno.readTextFile(new URL(".dockerignore", ROOT)))
    .split("\n").map((l) => l.trim()).filter((l) => l !== "" && !l.startsWith("#"));
  for (const local of ["node_modules/", "dist/", "build/", ".git/"]) {
    assert(ignored.includes(local), `.dockerignore should leave out ${local}`);
  }
  // Files the builder copies by name must be in the repository and not ignored.
  const named = builder.filter((i) => i.keyword === "COPY" && !i.args.startsWith("--"))
    .flatMap((i) => i.args.split(/\s+/).slice(0, -1)).filter((src) => src !== ".");
  for (const source of named) {
    await Deno.stat(new URL(source, ROOT));
    assert(!ignored.includes(source), `${source} is copied but ignored`);
  }
  const { includes } = await readCompileTask();
  for (
    const include of includes.filter((p) => !p.startsWith("build") && !p.startsWith("node_modules"))
  ) {
    const top = include.split("/")[0] + "/";
    assert(!ignored.includes(top), `compile includes ${include}, but .dockerignore drops it`);
  }
});

interface ComposeService {
  build?: unknown;
  command?: string[];
  ports?: string[];
  volumes?: string[];
  healthcheck?: { test?: string[] };
  restart?: string;
  mem_limit?: string;
  ulimits?: { nofile?: { soft?: number; hard?: number } };
}

Deno.test("compose.yaml: one service with port, healthcheck, restart policy and models volume", async () => {
  const compose = parseYaml(await Deno.readTextFile(new URL("compose.yaml", ROOT))) as {
    services: Record<string, ComposeService>;
  };
  const services = Object.values(compose.services);
  deepStrictEqual(services.length, 1);
  const [service] = services;
  deepStrictEqual(service.build, ".");
  assert(service.ports?.some((p) => p.endsWith(`:${PORT}`)), "port 8000 is not published");
  deepStrictEqual(service.healthcheck?.test, ["CMD", BINARY, "healthcheck"]);
  assert(["always", "unless-stopped", "on-failure"].includes(service.restart ?? ""), "no restart");
  const command = service.command ?? [];
  const modelsDir = command[command.indexOf("--models") + 1];
  assert(command.includes("--models") && modelsDir, "compose passes no --models folder");
  assert(
    service.volumes?.some((v) => v.split(":")[1] === modelsDir),
    `no volume mounted at ${modelsDir}`,
  );
  // Hostile clients (#17): the same limits as the systemd unit.
  deepStrictEqual(service.mem_limit, "768m");
  deepStrictEqual(service.ulimits?.nofile, { soft: 65536, hard: 65536 });
});

Deno.test("compose.yaml keeps the data folder in a named volume", async () => {
  const compose = parseYaml(await Deno.readTextFile(new URL("compose.yaml", ROOT))) as {
    services: Record<string, ComposeService>;
    volumes?: Record<string, unknown>;
  };
  const dataDir = runtime.filter((i) => i.keyword === "ENV")
    .map((i) => /DIGITLAB_DATA_DIR=(\S+)/.exec(i.args)?.[1]).find(Boolean);
  const [service] = Object.values(compose.services);
  const mount = service.volumes?.map((v) => v.split(":")).find(([, target]) => target === dataDir);
  assert(mount, `nothing mounted at ${dataDir}`);
  assert(mount[0] in (compose.volumes ?? {}), `${mount[0]} is not a named volume`);
});
