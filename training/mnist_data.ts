/**
 * Loads MNIST for training: from a directory the user names, else from a cache directory,
 * downloading what the cache lacks. Every file is checked against its published SHA-256.
 *
 * @module
 */

import { DEFAULT_MIRRORS, downloadFile } from "./mnist_download.ts";
import {
  MNIST_FILES,
  MnistDataError,
  type MnistFile,
  readVerified,
  TEST_IMAGES,
  TEST_LABELS,
  TRAIN_IMAGES,
  TRAIN_LABELS,
} from "./mnist_files.ts";
import { type DigitSet, MnistFormatError, parseDigitSet } from "./mnist_idx.ts";

export { MnistDataError, type MnistDataErrorCode } from "./mnist_files.ts";

export interface LoadMnistOptions {
  /** A directory holding the four IDX .gz files; when given, nothing is downloaded. */
  dataDir?: string;
  /** Where downloaded files are kept and looked for first. */
  cacheDir: string;
  /** Mirror base URLs, tried in order; defaults to DEFAULT_MIRRORS. */
  mirrors?: readonly string[];
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Idle timeout per request in milliseconds (default 30 s). */
  timeoutMs?: number;
  /** No progress bar and no log lines. */
  quiet?: boolean;
}

/** MNIST's training and test sets with where they came from. */
export interface Mnist {
  train: DigitSet;
  test: DigitSet;
  /** Verified SHA-256 of each file, by file name. */
  sha256: Record<string, string>;
  /** Human-readable origin: the data directory, or the cache and any mirror downloaded from. */
  source: string;
}

type FileBytes = Map<MnistFile, Uint8Array>;

async function readDirectory(dir: string): Promise<FileBytes> {
  const files: FileBytes = new Map();
  for (const file of MNIST_FILES) files.set(file, await readVerified(dir, file));
  return files;
}

/** Uses cached files that still verify and downloads the rest; returns the mirrors used. */
async function readCacheOrDownload(options: LoadMnistOptions) {
  const files: FileBytes = new Map();
  let mirrors = options.mirrors ?? DEFAULT_MIRRORS;
  const used = new Set<string>();
  for (const file of MNIST_FILES) {
    try {
      files.set(file, await readVerified(options.cacheDir, file));
      continue;
    } catch (error) {
      if (!(error instanceof MnistDataError)) throw error;
      if (error.code === "checksum_mismatch" && !options.quiet) {
        console.error(`${error.message}; downloading it again`);
      }
    }
    const downloaded = await downloadFile(file, options.cacheDir, { ...options, mirrors });
    files.set(file, downloaded.bytes);
    used.add(downloaded.mirror);
    // A mirror that just worked is the best bet for the next file; dead ones cost a timeout each.
    mirrors = [downloaded.mirror, ...mirrors.filter((mirror) => mirror !== downloaded.mirror)];
  }
  return { files, mirrors: [...used] };
}

async function parseSet(files: FileBytes, images: MnistFile, labels: MnistFile, where: string) {
  try {
    return await parseDigitSet(files.get(images)!, files.get(labels)!);
  } catch (error) {
    if (!(error instanceof MnistFormatError)) throw error;
    throw new MnistDataError("bad_format", `${where}/${images.name}: ${error.message}`);
  }
}

/**
 * Loads and verifies MNIST. Throws MnistDataError (one-line message) on a missing or corrupt
 * file or when a needed download fails.
 *
 * @example
 * ```ts
 * const mnist = await loadMnist({ dataDir: "../shared/data/mnist", cacheDir: ".cache/mnist" });
 * console.log(mnist.train.count, mnist.test.count); // 60000 10000
 * ```
 */
export async function loadMnist(options: LoadMnistOptions): Promise<Mnist> {
  let files: FileBytes;
  let source: string;
  let where: string;
  if (options.dataDir !== undefined) {
    files = await readDirectory(options.dataDir);
    source = where = options.dataDir;
  } else {
    const loaded = await readCacheOrDownload(options);
    files = loaded.files;
    where = options.cacheDir;
    source = loaded.mirrors.length === 0
      ? `${options.cacheDir} (cache)`
      : `${options.cacheDir} (downloaded from ${loaded.mirrors.join(", ")})`;
  }
  const sha256: Record<string, string> = {};
  for (const file of MNIST_FILES) sha256[file.name] = file.sha256;
  return {
    train: await parseSet(files, TRAIN_IMAGES, TRAIN_LABELS, where),
    test: await parseSet(files, TEST_IMAGES, TEST_LABELS, where),
    sha256,
    source,
  };
}
