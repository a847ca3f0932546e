/**
 * Command line and environment, read once at start-up into a typed object that is passed down.
 * No other module reads flags or `Deno.env`.
 *
 * @module
 */
import { resolve } from "node:path";
import { pathToFileURL } from "node:url";
import { parseArgs } from "node:util";

export type Command = "serve" | "healthcheck" | "help" | "version";

export interface Config {
  command: Command;
  /** Interface to listen on (serve) or to ask (healthcheck). */
  host: string;
  port: number;
  /** Folder of `<name>.onnx` + `<name>.json` models. */
  modelsDir: URL;
  /** The default model, and whether the user named it (then it must exist). */
  model: { preferred: string; required: boolean };
  /** Request bodies over this many bytes get 413. */
  maxBodyBytes: number;
}

/** The models shipped beside this file: found from the module, never the working directory. */
export const SHIPPED_MODELS_DIR = new URL("./models/", import.meta.url);

export const DEFAULTS = {
  host: "127.0.0.1",
  port: 8000,
  model: "cnn-aug",
  maxBodyBytes: 2 * 1024 * 1024,
} as const;

/** A flag or variable the user got wrong; main prints the message and the usage, exits 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

export const USAGE = `digitlab: handwritten digit recognition (web UI + JSON API)

Usage:
  digitlab [options]               serve the UI and the API
  digitlab healthcheck [options]   exit 0 when GET /health on --host/--port answers healthy

Options:
  --host HOST        interface to listen on (env HOST; default ${DEFAULTS.host})
  --port PORT        TCP port, 0 picks a free one (env PORT; default ${DEFAULTS.port})
  --models DIR       folder of <name>.onnx + <name>.json models (env DIGITLAB_MODELS;
                     default: the models shipped with digitlab)
  --model NAME       default model (env DIGITLAB_MODEL; default ${DEFAULTS.model}, or the most
                     accurate one present)
  --max-body BYTES   largest accepted request body (env DIGITLAB_MAX_BODY; default 2 MiB)
  --help             show this help
  --version          print the version
`;

/** The environment variables this program reads (the only ones `--allow-env` needs). */
export const ENV_NAMES = ["HOST", "PORT", "DIGITLAB_MODELS", "DIGITLAB_MODEL", "DIGITLAB_MAX_BODY"];

/**
 * Builds the configuration from `args` and `env` (flags win over variables). Throws ConfigError
 * for unknown flags and bad values. Relative `--models` paths resolve against `cwd`, as a user
 * typing them expects.
 */
export function parseConfig(
  args: string[],
  env: Record<string, string | undefined>,
  cwd: string,
): Config {
  let parsed;
  try {
    parsed = parseArgs({
      args,
      allowPositionals: true,
      strict: true,
      options: {
        host: { type: "string" },
        port: { type: "string" },
        models: { type: "string" },
        model: { type: "string" },
        "max-body": { type: "string" },
        help: { type: "boolean", short: "h" },
        version: { type: "boolean", short: "V" },
      },
    });
  } catch (error) {
    // node:util's messages suggest "--" tricks; say just what is wrong.
    const message = (error as Error).message;
    const unknown = /^Unknown option '([^']+)'/.exec(message);
    throw new ConfigError(unknown ? `unknown option ${unknown[1]}` : message);
  }
  const { values, positionals } = parsed;
  if (positionals.length > 1 || (positionals.length === 1 && positionals[0] !== "healthcheck")) {
    throw new ConfigError(`unknown command "${positionals.join(" ")}"`);
  }
  const command: Command = values.help
    ? "help"
    : values.version
    ? "version"
    : positionals[0] === "healthcheck"
    ? "healthcheck"
    : "serve";
  const modelsPath = values.models ?? env.DIGITLAB_MODELS;
  const namedModel = values.model ?? env.DIGITLAB_MODEL;
  return {
    command,
    host: values.host ?? env.HOST ?? DEFAULTS.host,
    port: integer(values.port ?? env.PORT, DEFAULTS.port, "port", 0, 65535),
    modelsDir: modelsPath ? directoryUrl(modelsPath, cwd) : SHIPPED_MODELS_DIR,
    model: { preferred: namedModel ?? DEFAULTS.model, required: namedModel !== undefined },
    maxBodyBytes: integer(
      values["max-body"] ?? env.DIGITLAB_MAX_BODY,
      DEFAULTS.maxBodyBytes,
      "max-body",
      1024,
      256 * 1024 * 1024,
    ),
  };
}

function integer(
  text: string | undefined,
  fallback: number,
  name: string,
  min: number,
  max: number,
): number {
  if (text === undefined || text === "") return fallback;
  const value = Number(text);
  if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
    throw new ConfigError(`--${name} must be a whole number from ${min} to ${max}, not "${text}"`);
  }
  return value;
}

/** A folder's URL with the trailing slash, so `new URL("name.onnx", dir)` lands inside it. */
function directoryUrl(path: string, cwd: string): URL {
  return pathToFileURL(resolve(cwd, path).replace(/\/?$/, "/"));
}
