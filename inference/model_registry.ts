/**
 * The models this process serves: every `<name>.onnx` in the models folder with its
 * `<name>.json` metadata, each opened as an onnxruntime session and warmed up once so the first
 * request does not pay for it. A model that fails to load is reported and skipped; the others
 * still serve.
 *
 * @module
 */
import { DigitlabError } from "../lib/errors.ts";
import {
  DEFAULT_PRECISION,
  type ModelMetadata,
  modelOfOnnxFile,
  type Precision,
} from "../lib/model_metadata.ts";
import { createSession, DIGIT_PIXELS, type InferenceSession, runBatch } from "./onnx_runtime.ts";

/** A model ready to run. */
export interface LoadedModel {
  metadata: ModelMetadata;
  /** The main thread's session; null when inference workers hold the sessions instead. */
  session: InferenceSession | null;
  /** The ONNX file, for inference workers to open their own sessions from. */
  bytes: Uint8Array;
}

/** Which model answers requests that name none. */
export interface DefaultChoice {
  /** The model asked for (`--model`, default `draw`). */
  preferred: string;
  /** True when the user named it: then its absence is an error, not a fallback. */
  required: boolean;
}

/**
 * Served models by name, plus the default. Asked in two ways: `models()` lists them all,
 * `get(name)` finds the one a request names (or the default) and throws the client's error
 * when there is none; `find` is the quiet lookup for the server's own bookkeeping (hot reload,
 * v2's own messages). Hot reload swaps a model with `replace`: requests that already hold the
 * old one finish with it.
 */
export class ModelRegistry {
  readonly #models: Map<string, LoadedModel>;
  #defaultName: string | null;

  constructor(models: LoadedModel[], defaultName: string | null) {
    this.#models = new Map(models.map((model) => [model.metadata.name, model]));
    if (defaultName !== null && !this.#models.has(defaultName)) {
      throw new RangeError(`default model ${defaultName} is not among the loaded models`);
    }
    this.#defaultName = defaultName;
  }

  /** The model that answers requests naming none; null while no model is loaded. */
  get defaultName(): string | null {
    return this.#defaultName;
  }

  /** Every served model, the default first, then by name. */
  models(): LoadedModel[] {
    const isDefault = (model: LoadedModel) => Number(model.metadata.name === this.defaultName);
    return [...this.#models.values()].sort((a, b) =>
      isDefault(b) - isDefault(a) || a.metadata.name.localeCompare(b.metadata.name)
    );
  }

  /** The named model, or the default. Throws `unknown_model` or `no_models`. */
  get(name?: string | null): LoadedModel {
    if (this.defaultName === null) {
      throw new DigitlabError(
        "no_models",
        "no model is loaded: train one (deno task train) or start with --models DIR",
      );
    }
    const model = this.#models.get(name ?? this.defaultName);
    if (!model) {
      throw new DigitlabError(
        "unknown_model",
        `unknown model "${name}": this server has ${[...this.#models.keys()].join(", ")}`,
      );
    }
    return model;
  }

  /** The model now served under `name`, if any. */
  find(name: string): LoadedModel | undefined {
    return this.#models.get(name);
  }

  /**
   * Serves `model` under its name from now on (one synchronous swap: no request sees half of
   * it) and returns the one it replaced, for the caller to retire.
   */
  replace(model: LoadedModel): LoadedModel | undefined {
    const old = this.#models.get(model.metadata.name);
    this.#models.set(model.metadata.name, model);
    this.#defaultName ??= model.metadata.name; // the first model to arrive in an empty folder
    return old;
  }

  /** Frees every session. */
  async close(): Promise<void> {
    for (const model of this.#models.values()) await model.session?.release();
  }
}

/** How to open one model. */
export interface ModelFileOptions {
  /** Open a session on the main thread (default true). */
  mainSession?: boolean;
  /** Run the model's int8 twin when its metadata lists one (default DEFAULT_PRECISION). */
  precision?: Precision;
}

export interface LoadOptions extends ModelFileOptions {
  /**
   * Open a session on the main thread (default true). Without one, `prepare` must check the
   * model (inference workers open and test their own sessions): onnxruntime costs ~110 MB of
   * memory per thread that runs it.
   */
  mainSession?: boolean;
  /** Makes a loaded model runnable elsewhere (the engine's workers); throwing skips it. */
  prepare?(model: LoadedModel): Promise<void>;
}

/** What loading found: the registry and a line for every problem worth telling the operator. */
export interface LoadResult {
  registry: ModelRegistry;
  problems: string[];
}

/**
 * Loads every model in `dir`. A missing or empty folder gives an empty registry and a problem
 * saying what to do; a model without metadata, or one that does not open, is skipped with a
 * problem. Throws only when `choice.required` and that model did not load.
 */
export async function loadModels(
  dir: URL,
  choice: DefaultChoice,
  options: LoadOptions = {},
): Promise<LoadResult> {
  const problems: string[] = [];
  const names = await onnxNames(dir, problems);
  const models: LoadedModel[] = [];
  for (const name of names) {
    let model: LoadedModel | undefined;
    try {
      model = await loadModel(dir, name, options);
      await options.prepare?.(model);
      models.push(model);
    } catch (error) {
      await model?.session?.release();
      problems.push(`${name}: ${(error as Error).message}; skipped`);
    }
  }
  if (names.length > 0 && models.length === 0) {
    problems.push(`no model in ${dir.pathname} could be loaded`);
  }
  let defaultName: string | null = null;
  if (models.some((model) => model.metadata.name === choice.preferred)) {
    defaultName = choice.preferred;
  } else if (choice.required) {
    await Promise.all(models.map((model) => model.session?.release()));
    throw new Error(
      `model "${choice.preferred}" is not in ${dir.pathname}` +
        (models.length ? ` (found: ${models.map((m) => m.metadata.name).join(", ")})` : ""),
    );
  } else if (models.length > 0) {
    // The most accurate model stands in for a missing preferred one.
    defaultName = models.reduce((best, model) =>
      model.metadata.testAccuracy > best.metadata.testAccuracy ? model : best
    ).metadata.name;
    problems.push(`model "${choice.preferred}" not found; serving "${defaultName}" by default`);
  }
  return { registry: new ModelRegistry(models, defaultName), problems };
}

async function onnxNames(dir: URL, problems: string[]): Promise<string[]> {
  const names: string[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      const name = modelOfOnnxFile(entry.name);
      if (entry.isFile && name !== null && !names.includes(name)) names.push(name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    problems.push(
      `models folder ${dir.pathname} does not exist: train models with "deno task train" ` +
        `or pass --models DIR`,
    );
    return names;
  }
  if (names.length === 0) {
    problems.push(
      `models folder ${dir.pathname} holds no .onnx model: train with "deno task train" ` +
        `or pass --models DIR`,
    );
  }
  return names.sort();
}

/**
 * Loads `<name>.onnx` (or its int8 twin) and its metadata from `dir`, opens a session and
 * checks it on a test input. Throws with a one-line reason when any of that fails.
 */
export async function loadModel(
  dir: URL,
  name: string,
  options: ModelFileOptions = {},
): Promise<LoadedModel> {
  let text: string;
  try {
    text = await Deno.readTextFile(new URL(`${name}.json`, dir));
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) throw new Error(`no metadata file ${name}.json`);
    throw error;
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new Error(`metadata file ${name}.json is not valid JSON`);
  }
  const checked = checkMetadata(json, name);
  const precision: Precision = (options.precision ?? DEFAULT_PRECISION) === "int8" && checked.int8
    ? "int8"
    : "fp32";
  const metadata: ModelMetadata = { ...checked, precision };
  const file = precision === "int8" ? checked.int8!.file : `${name}.onnx`;
  if (file.includes("/") || file.includes("\\")) {
    throw new Error(`metadata names the int8 file "${file}", which is not in the models folder`);
  }
  const bytes = await Deno.readFile(new URL(file, dir));
  if (options.mainSession === false) return { metadata, session: null, bytes };
  const session = await createSession(bytes);
  try {
    await warmUp(session);
  } catch (error) {
    await session.release();
    throw error;
  }
  return { metadata, session, bytes };
}

/** One run, so the first request meets prepared kernels; also proves the graph's shapes. */
async function warmUp(session: InferenceSession): Promise<void> {
  const { probabilities } = await runBatch(session, new Float32Array(DIGIT_PIXELS), 1);
  if (probabilities.length !== 10) {
    throw new Error(`outputs ${probabilities.length} probabilities, expected 10`);
  }
}

/** The fields the server relies on; the rest is passed through to clients as written. */
export function checkMetadata(value: unknown, name: string): ModelMetadata {
  const metadata = value as ModelMetadata;
  const normalisation = metadata?.input?.normalisation;
  const problems = [
    typeof metadata?.name !== "string" && "name",
    typeof metadata?.version !== "string" && "version",
    typeof metadata?.testAccuracy !== "number" && "testAccuracy",
    !(typeof normalisation?.mean === "number" && normalisation.std > 0) &&
    "input.normalisation",
  ].filter(Boolean);
  if (problems.length > 0) throw new Error(`metadata lacks ${problems.join(", ")}`);
  if (metadata.name !== name) {
    throw new Error(`metadata names "${metadata.name}" but the file is ${name}.onnx`);
  }
  return metadata;
}
