/**
 * Hot model reload: on SIGHUP, and when a `<name>.onnx` or `<name>.json` in the models folder
 * changes, load the new model, check it on a test input (in the main thread and in every
 * worker), then swap it in with one synchronous registry update. Requests already holding the
 * old model finish with it; it is released after them. A model that fails to load leaves the
 * old one serving and logs why.
 *
 * @module
 */
import type { ServiceMetrics } from "../metrics/service_metrics.ts";
import type { InferenceEngine } from "./engine.ts";
import { modelNameOf, modelOfOnnxFile } from "../lib/model_metadata.ts";
import {
  type LoadedModel,
  loadModel,
  type ModelFileOptions,
  type ModelRegistry,
} from "./model_registry.ts";

export interface ReloadOptions {
  dir: URL;
  registry: ModelRegistry;
  engine: InferenceEngine;
  metrics?: ServiceMetrics;
  /** Where reload news goes (stdout, stderr for failures by default). */
  log?(message: string): void;
  error?(message: string): void;
  /** Quiet time after the last file event before reloading (writes come in bursts). */
  debounceMs?: number;
  /** Also watch the folder (SIGHUP always works); default true. */
  watch?: boolean;
  /** Which file of each model to run, as at start-up. */
  precision?: ModelFileOptions["precision"];
}

export type ReloadOutcome = "reloaded" | "added" | "unchanged" | "failed";

export interface ModelReloader {
  /** Reloads every model in the folder whose files changed (what SIGHUP does). */
  reloadAll(): Promise<Record<string, ReloadOutcome>>;
  /** Reloads one model by name. */
  reload(name: string): Promise<ReloadOutcome>;
  close(): void;
}

/**
 * @example
 * ```ts
 * import type { InferenceEngine } from "./engine.ts";
 * import type { ModelRegistry } from "./model_registry.ts";
 *
 * declare const registry: ModelRegistry;
 * declare const engine: InferenceEngine;
 * const dir = new URL("file:///srv/digitlab/models/");
 * const reloader = watchModels({ dir, registry, engine });
 * // later
 * reloader.close();
 * ```
 */
export function watchModels(options: ReloadOptions): ModelReloader {
  const {
    dir,
    registry,
    engine,
    metrics,
    log = console.log,
    error = console.error,
    debounceMs = 250,
  } = options;
  // One reload at a time per model, in order: a second change waits for the first.
  const running = new Map<string, Promise<ReloadOutcome>>();

  function reload(name: string): Promise<ReloadOutcome> {
    const previous = running.get(name) ?? Promise.resolve("unchanged");
    const next = previous.then(() => reloadNow(name));
    running.set(name, next);
    next.finally(() => running.get(name) === next && running.delete(name));
    return next;
  }

  async function reloadNow(name: string): Promise<ReloadOutcome> {
    const old = registry.find(name);
    let fresh: LoadedModel;
    try {
      fresh = await loadModel(dir, name, {
        mainSession: engine.needsMainSession,
        precision: options.precision,
      });
    } catch (cause) {
      return failed(name, old, cause);
    }
    if (old && sameModel(old, fresh)) {
      await fresh.session?.release();
      return "unchanged";
    }
    try {
      await engine.prepare(fresh);
    } catch (cause) {
      await fresh.session?.release();
      return failed(name, old, cause);
    }
    registry.replace(fresh);
    metrics?.reloads.inc({ model: name, outcome: "ok" });
    log(
      old
        ? `digitlab: reloaded model ${name}: version ${old.metadata.version} -> ${fresh.metadata.version}`
        : `digitlab: added model ${name} version ${fresh.metadata.version}`,
    );
    if (old) await engine.retire(old);
    return old ? "reloaded" : "added";
  }

  function failed(name: string, old: LoadedModel | undefined, cause: unknown): ReloadOutcome {
    metrics?.reloads.inc({ model: name, outcome: "failed" });
    error(
      `digitlab: reloading model ${name} failed: ${(cause as Error).message}; ` +
        (old ? `still serving version ${old.metadata.version}` : "not served"),
    );
    return "failed";
  }

  async function reloadAll(): Promise<Record<string, ReloadOutcome>> {
    const names = new Set(registry.models().map((model) => model.metadata.name));
    try {
      for await (const entry of Deno.readDir(dir)) {
        const name = modelOfOnnxFile(entry.name);
        if (entry.isFile && name !== null) names.add(name);
      }
    } catch (cause) {
      error(`digitlab: cannot read ${dir.pathname}: ${(cause as Error).message}`);
    }
    const outcomes: Record<string, ReloadOutcome> = {};
    await Promise.all([...names].sort().map(async (name) => outcomes[name] = await reload(name)));
    return outcomes;
  }

  const onHangup = () => {
    log("digitlab: SIGHUP: reloading models");
    reloadAll();
  };
  Deno.addSignalListener("SIGHUP", onHangup);

  const timers = new Map<string, ReturnType<typeof setTimeout>>();
  let watcher: Deno.FsWatcher | undefined;
  if (options.watch ?? true) {
    try {
      watcher = Deno.watchFs(dir.pathname, { recursive: false });
    } catch {
      // An embedded models folder (deno compile) cannot be watched; SIGHUP still works.
    }
  }
  (async () => {
    if (!watcher) return;
    for await (const event of watcher) {
      if (event.kind !== "create" && event.kind !== "modify" && event.kind !== "rename") continue;
      for (const path of event.paths) {
        const name = modelNameOf(path.slice(path.lastIndexOf("/") + 1));
        if (name === null) continue;
        clearTimeout(timers.get(name));
        timers.set(
          name,
          setTimeout(() => {
            timers.delete(name);
            reload(name);
          }, debounceMs),
        );
      }
    }
  })().catch(() => {});

  return {
    reloadAll,
    reload,
    close() {
      Deno.removeSignalListener("SIGHUP", onHangup);
      watcher?.close();
      for (const timer of timers.values()) clearTimeout(timer);
      timers.clear();
    },
  };
}

/** Same weights and same metadata version: nothing to swap. */
function sameModel(a: LoadedModel, b: LoadedModel): boolean {
  if (a.metadata.version !== b.metadata.version || a.bytes.length !== b.bytes.length) return false;
  for (let i = 0; i < a.bytes.length; i++) if (a.bytes[i] !== b.bytes[i]) return false;
  return true;
}
