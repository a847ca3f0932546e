/**
 * The four MNIST files, their known SHA-256 sums, and reading them back verified.
 *
 * @module
 */
import { joinPath } from "../lib/join_path.ts";

/** One of the four MNIST IDX files as published. */
export interface MnistFile {
  name: string;
  sha256: string;
  /** Size in bytes, to size the progress bar and stop oversized responses early. */
  bytes: number;
}

/** Why MNIST could not be loaded: `code` for programs, `message` is one line for people. */
export type MnistDataErrorCode =
  | "missing_file"
  | "checksum_mismatch"
  | "download_failed"
  | "offline"
  | "cache_unwritable"
  | "bad_format";

/** A data problem the user can fix (wrong directory, corrupt file, no network). */
export class MnistDataError extends Error {
  override name = "MnistDataError";
  constructor(readonly code: MnistDataErrorCode, message: string) {
    super(message);
  }
}

export const TRAIN_IMAGES: MnistFile = {
  name: "train-images-idx3-ubyte.gz",
  sha256: "440fcabf73cc546fa21475e81ea370265605f56be210a4024d2ca8f203523609",
  bytes: 9912422,
};
export const TRAIN_LABELS: MnistFile = {
  name: "train-labels-idx1-ubyte.gz",
  sha256: "3552534a0a558bbed6aed32b30c495cca23d567ec52cac8be1a0730e8010255c",
  bytes: 28881,
};
export const TEST_IMAGES: MnistFile = {
  name: "t10k-images-idx3-ubyte.gz",
  sha256: "8d422c7b0a1c1c79245a5bcf07fe86e33eeafee792b84584aec276f5a2dbc4e6",
  bytes: 1648877,
};
export const TEST_LABELS: MnistFile = {
  name: "t10k-labels-idx1-ubyte.gz",
  sha256: "f7ae60f92e00ec6debd23a6088c31dbd2371eca3ffa0defaefb259924204aec6",
  bytes: 4542,
};

/** All four, in the order they are loaded. */
export const MNIST_FILES: readonly MnistFile[] = [
  TRAIN_IMAGES,
  TRAIN_LABELS,
  TEST_IMAGES,
  TEST_LABELS,
];

/** Lower-case hex SHA-256 of `bytes`. */
export async function sha256Hex(bytes: Uint8Array): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", bytes as BufferSource);
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, "0")).join("");
}

/** Throws `checksum_mismatch` unless `bytes` are exactly `file` as published. */
export async function verifyChecksum(bytes: Uint8Array, file: MnistFile, where: string) {
  const actual = await sha256Hex(bytes);
  if (actual !== file.sha256) {
    throw new MnistDataError(
      "checksum_mismatch",
      `checksum mismatch for ${where}: sha256 ${actual}, expected ${file.sha256}`,
    );
  }
}

/**
 * Reads `file` from `dir` and checks its SHA-256.
 * Throws `missing_file` or `checksum_mismatch` naming the path.
 */
export async function readVerified(dir: string, file: MnistFile): Promise<Uint8Array> {
  const path = joinPath(dir, file.name);
  let bytes: Uint8Array;
  try {
    bytes = await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) {
      throw new MnistDataError(
        "missing_file",
        `MNIST file missing: ${path} (the directory must hold the four IDX .gz files)`,
      );
    }
    throw new MnistDataError("missing_file", `cannot read ${path}: ${(error as Error).message}`);
  }
  await verifyChecksum(bytes, file, path);
  return bytes;
}

/** Where downloaded MNIST is kept: $XDG_CACHE_HOME/digitlab/mnist, else ~/.cache/digitlab/mnist. */
export function defaultCacheDir(env: { XDG_CACHE_HOME?: string; HOME?: string }): string {
  const cacheHome = env.XDG_CACHE_HOME ?? (env.HOME ? `${env.HOME}/.cache` : ".cache");
  return `${cacheHome}/digitlab/mnist`;
}
