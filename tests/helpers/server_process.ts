/**
 * main.ts in its own process as it is deployed: the release binary's permission and V8 flags
 * (read from the compile task) and the systemd unit's environment (the malloc settings), for
 * tests that need what only a real process shows: signals, exit codes, resident memory, the
 * permission sandbox.
 *
 * @module
 */
import { readCompileTask } from "../compile_task.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const READY_TIMEOUT_MS = 30_000;

export interface ServerProcess {
  url: string;
  pid: number;
  /** The `--data-dir` it was given (the feedback database lives there). */
  dataDir: string;
  /** Everything the process wrote so far (stdout and stderr). */
  output(): string;
  /** Resolves with the exit code once the process has ended. */
  exited: Promise<number>;
  /** Resident set size now, from `ps` (Deno reads /proc only with --allow-all). */
  rssBytes(): Promise<number>;
  /** SIGTERM, then the exit code; a no-op if it already ended. */
  stop(): Promise<number>;
}

export interface StartOptions {
  /** Arguments after `main.ts` (`--port 0` is added). */
  args?: string[];
  /** Permission flags; the compile task's when absent. */
  permissions?: string[];
  /** Flags for `deno run` itself, before the permissions; the compile task's when absent. */
  runtimeFlags?: string[];
  /** Added to the systemd unit's `Environment=` variables. */
  env?: Record<string, string>;
  /** Working directory; the file system root by default, like a service. */
  cwd?: string;
  entry?: string;
  /** Resource limits for the process, as `prlimit` options (e.g. `--nofile=1024:1024`). */
  prlimit?: string[];
  /**
   * `--data-dir`; a fresh temporary folder when absent (removed once the process has ended),
   * so no test writes into the real user's data folder.
   */
  dataDir?: string;
}

/**
 * The variables the systemd unit sets (`Environment=A=1 B=2` lines), but those whose value
 * holds a specifier only systemd expands (`%S`, `%d`: its state and credentials folders).
 */
async function unitEnvironment(): Promise<Record<string, string>> {
  const unit = await Deno.readTextFile(new URL("../../systemd/digitlab.service", import.meta.url));
  const pairs = unit.split("\n").filter((line) => line.startsWith("Environment="))
    .flatMap((line) => line.slice("Environment=".length).trim().split(/\s+/))
    .map((pair) => pair.split(/=(.*)/s, 2) as [string, string])
    .filter(([, value]) => !value.includes("%"));
  return Object.fromEntries(pairs);
}

/** Starts the server on a loopback port chosen by the OS and waits for its start-up line. */
export async function startServerProcess(options: StartOptions = {}): Promise<ServerProcess> {
  const task = await readCompileTask();
  const permissions = options.permissions ?? task.permissions;
  const ownDataDir = options.dataDir === undefined;
  const dataDir = options.dataDir ?? await Deno.makeTempDir({ prefix: "digitlab-data-" });
  const deno = [
    Deno.execPath(),
    "run",
    ...(options.runtimeFlags ?? task.runtimeFlags),
    ...permissions,
    options.entry ?? MAIN,
    "--host",
    "127.0.0.1",
    "--port",
    "0",
    "--data-dir",
    dataDir,
    ...(options.args ?? []),
  ];
  // prlimit execs the runtime, so the pid is the server's own.
  const command = options.prlimit ? ["prlimit", ...options.prlimit, "--", ...deno] : deno;
  const child = new Deno.Command(command[0], {
    args: command.slice(1),
    cwd: options.cwd ?? "/",
    env: { ...(await unitEnvironment()), ...options.env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let log = "";
  const decoder = new TextDecoder();
  const collect = async (stream: ReadableStream<Uint8Array>) => {
    for await (const chunk of stream) log += decoder.decode(chunk, { stream: true });
  };
  const collecting = Promise.all([collect(child.stdout), collect(child.stderr)]);
  let ended = false;
  const exited = child.status.then(async (status) => {
    ended = true;
    await collecting;
    if (ownDataDir) await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    return status.code;
  });

  const deadline = Date.now() + READY_TIMEOUT_MS;
  let match: RegExpExecArray | null;
  while (!(match = /listening on (http:\/\/\S+?)\/ /.exec(log))) {
    if (ended || Date.now() > deadline) {
      if (!ended) child.kill("SIGKILL");
      await exited;
      throw new Error(`the server did not start:\n${log}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 25));
  }

  return {
    url: match[1],
    pid: child.pid,
    dataDir,
    output: () => log,
    exited,
    async rssBytes() {
      const { stdout } = await new Deno.Command("ps", {
        args: ["-o", "rss=", "-p", String(child.pid)],
        stdout: "piped",
        stderr: "null",
      }).output();
      const kib = Number(new TextDecoder().decode(stdout).trim());
      if (!(kib > 0)) throw new Error(`no RSS for process ${child.pid}`);
      return kib * 1024;
    },
    async stop() {
      if (!ended) child.kill("SIGTERM");
      return await exited;
    },
  };
}
