/**
 * The shipped systemd units must load cleanly and stay hardened: digitlab.service, and the
 * template digitlab@.service (two instances on one port, for upgrades), which must differ from
 * it only in its description and `--reuse-port`. Both checks use `systemd-analyze`, which
 * works without a running systemd (package `systemd`). Locally a missing tool skips these
 * tests; under CI=true it fails them.
 */
import assert, { deepStrictEqual } from "node:assert/strict";

const INSTALLED_BINARY = "/usr/local/bin/digitlab";
const MAX_EXPOSURE = 1.5;

/** Each shipped unit, by the name an instance of it runs as (a template needs an instance). */
const UNITS = [
  { file: "digitlab.service", runsAs: "digitlab.service" },
  { file: "digitlab@.service", runsAs: "digitlab@blue.service" },
];
const unitUrl = (file: string) => new URL(`../systemd/${file}`, import.meta.url);
const unitText = await Deno.readTextFile(unitUrl("digitlab.service"));
const templateText = await Deno.readTextFile(unitUrl("digitlab@.service"));
const systemdAnalyze = await findSystemdAnalyze();

async function findSystemdAnalyze(): Promise<string | undefined> {
  try {
    const { success } = await new Deno.Command("systemd-analyze", {
      args: ["--version"],
      stdout: "null",
      stderr: "null",
    }).output();
    if (success) return "systemd-analyze";
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (Deno.env.get("CI") === "true") {
    throw new Error("systemd-analyze is missing under CI=true: .ci/run must install `systemd`");
  }
  console.warn("systemd_test: systemd-analyze not found, skipping (apt-get install systemd)");
  return undefined;
}

async function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const result = await new Deno.Command(systemdAnalyze!, { args, stdout: "piped", stderr: "piped" })
    .output();
  const decoder = new TextDecoder();
  return {
    code: result.code,
    stdout: decoder.decode(result.stdout),
    stderr: decoder.decode(result.stderr),
  };
}

/** `key=value` settings of one section, in file order; repeated keys keep every value. */
function sectionSettings(text: string, section: string): [string, string][] {
  const settings: [string, string][] = [];
  let current = "";
  for (const rawLine of text.split("\n")) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#") || line.startsWith(";")) continue;
    const header = line.match(/^\[(.+)\]$/);
    if (header) {
      current = header[1];
      continue;
    }
    const eq = line.indexOf("=");
    if (current === section && eq > 0) {
      settings.push([line.slice(0, eq).trim(), line.slice(eq + 1).trim()]);
    }
  }
  return settings;
}

function values(key: string, text = unitText): string[] {
  return sectionSettings(text, "Service").filter(([k]) => k === key).map(([, v]) => v);
}

Deno.test("unit runs the installed binary on 0.0.0.0:8000 without MemoryDenyWriteExecute", () => {
  deepStrictEqual(values("ExecStart"), [`${INSTALLED_BINARY} --host 0.0.0.0 --port 8000`]);
  // V8 writes machine code at run time (JIT, WebAssembly): W^X enforcement kills the server.
  for (const value of values("MemoryDenyWriteExecute")) {
    assert(!["yes", "true", "on", "1"].includes(value), "MemoryDenyWriteExecute must stay off");
  }
  deepStrictEqual(values("DynamicUser"), ["yes"]);
  deepStrictEqual(values("CapabilityBoundingSet"), [""]);
  deepStrictEqual(values("Restart"), ["on-failure"]);
  // Hostile clients (#17): descriptors for connection floods, memory as the last defence.
  deepStrictEqual(values("LimitNOFILE"), ["65536"]);
  deepStrictEqual([values("MemoryHigh"), values("MemoryMax")], [["600M"], ["768M"]]);
});

Deno.test("the template unit is digitlab.service with --reuse-port and its instance's name", () => {
  deepStrictEqual(values("ExecStart", templateText), [
    `${INSTALLED_BINARY} --host 0.0.0.0 --port 8000 --reuse-port`,
  ]);
  const withoutExec = (text: string) =>
    sectionSettings(text, "Service").filter(([key]) => key !== "ExecStart");
  deepStrictEqual(withoutExec(templateText), withoutExec(unitText));
  deepStrictEqual(sectionSettings(templateText, "Install"), sectionSettings(unitText, "Install"));
  const unitSection = (text: string) =>
    sectionSettings(text, "Unit").filter(([key]) => key !== "Description");
  deepStrictEqual(unitSection(templateText), unitSection(unitText));
  deepStrictEqual(sectionSettings(templateText, "Unit").find(([key]) => key === "Description"), [
    "Description",
    "digitlab handwritten digit recognizer (%i)",
  ]);
});

for (const { file, runsAs } of UNITS) {
  Deno.test({
    name: `systemd-analyze verify ${runsAs} prints nothing on stderr`,
    ignore: systemdAnalyze === undefined,
    async fn() {
      // verify also checks that ExecStart's binary exists. Where it is not installed, verify a
      // copy whose only change is that path, pointing at a stand-in executable.
      const dir = await Deno.makeTempDir({ prefix: "digitlab_unit_" });
      try {
        let text = await Deno.readTextFile(unitUrl(file));
        if (!(await isExecutable(INSTALLED_BINARY))) {
          const standIn = `${dir}/digitlab`;
          await Deno.writeTextFile(standIn, "#!/bin/sh\nexit 0\n", { mode: 0o755 });
          const occurrences = text.split(`ExecStart=${INSTALLED_BINARY} `).length - 1;
          deepStrictEqual(occurrences, 1, "expected exactly one ExecStart of the installed binary");
          text = text.replace(`ExecStart=${INSTALLED_BINARY} `, `ExecStart=${standIn} `);
        }
        const unitCopy = `${dir}/${runsAs}`;
        await Deno.writeTextFile(unitCopy, text);
        const { code, stderr } = await run(["verify", unitCopy]);
        deepStrictEqual(stderr.trim(), "", `systemd-analyze verify complained:\n${stderr}`);
        deepStrictEqual(code, 0);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });

  Deno.test({
    name: `systemd-analyze security exposure of ${runsAs} is at most ${MAX_EXPOSURE}`,
    ignore: systemdAnalyze === undefined,
    async fn() {
      const dir = await Deno.makeTempDir({ prefix: "digitlab_unit_" });
      try {
        const unitCopy = `${dir}/${runsAs}`;
        await Deno.copyFile(unitUrl(file), unitCopy);
        const { stdout, stderr } = await run([
          "security",
          "--offline=true",
          "--no-pager",
          unitCopy,
        ]);
        const name = runsAs.replaceAll(".", "\\.");
        const match = stdout.match(
          new RegExp(`Overall exposure level for ${name}: (\\d+(?:\\.\\d+)?)`),
        );
        assert(match, `no exposure level in output:\n${stdout}\n${stderr}`);
        const exposure = Number(match[1]);
        console.log(`systemd exposure of ${runsAs}: ${exposure}`);
        assert(exposure <= MAX_EXPOSURE, `exposure ${exposure} > ${MAX_EXPOSURE}:\n${stdout}`);
      } finally {
        await Deno.remove(dir, { recursive: true });
      }
    },
  });
}

async function isExecutable(path: string): Promise<boolean> {
  try {
    const info = await Deno.stat(path);
    return info.isFile && ((info.mode ?? 0) & 0o111) !== 0;
  } catch {
    return false;
  }
}
