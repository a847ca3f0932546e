/**
 * Writes one model's files (float ONNX, int8 twin, augmentation sheet, metadata) all or nothing.
 *
 * Each file is first written under a temp name beside its final one. `commit` then records the
 * renames in a journal (`<name>.commit`) and does them in one synchronous run, metadata last,
 * with Ctrl-C and SIGTERM held off until it is done. A process killed outright in that run
 * (SIGKILL, power loss) leaves the journal behind: `recoverModelSets` finishes the renames, and
 * training calls it before touching a folder. Readers thus see the old set or the new one.
 *
 * @module
 */

/** One staged file: written at `temp`, becomes `final` on commit. */
interface StagedFile {
  temp: string;
  final: string;
}

/** A signal arrived while a commit held it off; the caller exits as the signal asked. */
export class InterruptedError extends Error {
  override name = "InterruptedError";
  constructor(readonly signal: Deno.Signal) {
    super(`interrupted by ${signal}`);
  }
}

const HELD_SIGNALS: Deno.Signal[] = ["SIGINT", "SIGTERM"];
/** Turns of the event loop Deno takes to hand a signal to its listeners (two, measured). */
const SIGNAL_TURNS = 5;

/** Gives Deno the SIGNAL_TURNS event-loop turns it takes to hand a signal over (fewer once `done`). */
async function signalTurns(done: () => boolean = () => false): Promise<void> {
  for (let turn = 0; turn < SIGNAL_TURNS && !done(); turn++) {
    await new Promise((resolve) => setTimeout(resolve, 0));
  }
}

const journalPath = (dir: string, name: string) => `${dir}/${name}.commit`;

/** Temp names end in `.tmp` (ignored by git) and never in `.onnx`/`.json` (ignored by the server). */
function tempName(final: string): string {
  return `${final}.${crypto.randomUUID().slice(0, 8)}.tmp`;
}

export class ModelSetWriter {
  readonly #staged: StagedFile[] = [];
  #commitStarted = false;

  constructor(readonly dir: string, readonly name: string) {}

  /**
   * Whether commit has begun: from then on the new set is in place, or its journal finishes
   * it, so a signal handled later must not say that nothing was written.
   */
  get commitStarted(): boolean {
    return this.#commitStarted;
  }

  /** Writes `data` under a temp name; `file` is its final name inside `dir`. */
  stage(file: string, data: Uint8Array | string): Promise<void> {
    const final = `${this.dir}/${file}`;
    const temp = tempName(final);
    this.#staged.push({ temp, final });
    // Synchronously: a signal handler runs between event-loop turns, so it never removes the
    // temp file before an asynchronous write has created it (and leaves it behind).
    if (typeof data === "string") Deno.writeTextFileSync(temp, data);
    else Deno.writeFileSync(temp, data);
    return Promise.resolve();
  }

  /** The final paths staged so far, in the order they will be renamed. */
  get files(): string[] {
    return this.#ordered().map((f) => f.final);
  }

  /** Metadata last: a reader that finds the new metadata finds the new model files too. */
  #ordered(): StagedFile[] {
    const metadata = `${this.dir}/${this.name}.json`;
    return [
      ...this.#staged.filter((f) => f.final !== metadata),
      ...this.#staged.filter((f) => f.final === metadata),
    ];
  }

  /**
   * Renames every staged file into place. `afterRename` is a test seam: it runs between two
   * renames, where only a hard kill could stop a real run.
   */
  async commit(afterRename?: (final: string) => void): Promise<void> {
    // A signal that came before the commit reaches its listeners those same few turns later:
    // let it, so a Ctrl-C during the last step before the commit keeps the old set.
    await signalTurns();
    const files = this.#ordered();
    const journal = journalPath(this.dir, this.name);
    let held: Deno.Signal | undefined;
    const holders = HELD_SIGNALS.map((signal) => [signal, () => held ??= signal] as const);
    for (const [signal, holder] of holders) Deno.addSignalListener(signal, holder);
    try {
      // Journal and renames in one synchronous run: no signal handler can run inside it, so
      // one finds the set still staged (before) or in place (after), never half of each.
      this.#commitStarted = true;
      Deno.writeTextFileSync(`${journal}.tmp`, JSON.stringify(files));
      Deno.renameSync(`${journal}.tmp`, journal);
      // From here the journal owns the temp files: abort() must not delete what recovery needs.
      this.#staged.length = 0;
      for (const { temp, final } of files) {
        Deno.renameSync(temp, final);
        afterRename?.(final);
      }
      Deno.removeSync(journal);
    } finally {
      // Deno hands a signal that came during the renames to its listeners a few turns of the
      // event loop later (two, measured): wait for them before letting go, or it is lost.
      await signalTurns(() => held !== undefined);
      for (const [signal, holder] of holders) Deno.removeSignalListener(signal, holder);
    }
    if (held) throw new InterruptedError(held);
  }

  /** Removes the temp files of an abandoned set (the old set stays as it was). */
  async abort(): Promise<void> {
    for (const { temp } of this.#staged.splice(0)) await Deno.remove(temp).catch(() => {});
  }

  /** abort() for a signal handler that exits right after. */
  abortSync(): void {
    for (const { temp } of this.#staged.splice(0)) {
      try {
        Deno.removeSync(temp);
      } catch { /* never written */ }
    }
  }
}

/**
 * Runs `work` (a model's export, which awaits often); a Ctrl-C or SIGTERM meanwhile removes
 * the set's temp files, lets `say` explain (`written`: the set's commit had begun, so the new
 * set is in place), and exits 130 at once. Deno hands a signal to its listeners a few turns of
 * the event loop after it came, so one sent before the commit may be handled after it. Training
 * epochs run without it: their synchronous loop would hold a signal until the epoch ended.
 */
export async function exitCleanlyOnSignal<T>(
  set: ModelSetWriter,
  say: (signal: Deno.Signal, written: boolean) => void,
  work: () => Promise<T>,
): Promise<T> {
  const handlers = HELD_SIGNALS.map((signal) =>
    [signal, () => {
      set.abortSync();
      say(signal, set.commitStarted);
      Deno.exit(130);
    }] as const
  );
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  try {
    return await work();
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}

/**
 * Finishes commits a hard kill interrupted in `dir` and returns the models they were for. Run
 * before writing into a folder.
 */
export async function recoverModelSets(dir: string): Promise<string[]> {
  const recovered: string[] = [];
  let entries: Deno.DirEntry[];
  try {
    entries = await Array.fromAsync(Deno.readDir(dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return recovered;
    throw error;
  }
  for (const entry of entries) {
    if (!entry.isFile || !entry.name.endsWith(".commit")) continue;
    const journal = `${dir}/${entry.name}`;
    const files = JSON.parse(await Deno.readTextFile(journal)) as StagedFile[];
    for (const { temp, final } of files) {
      try {
        await Deno.rename(temp, final);
      } catch (error) {
        // Renamed before the kill.
        if (!(error instanceof Deno.errors.NotFound)) throw error;
      }
    }
    await Deno.remove(journal);
    recovered.push(entry.name.slice(0, -".commit".length));
  }
  return recovered;
}
