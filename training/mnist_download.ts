/**
 * Downloads MNIST files into a cache directory: public mirrors tried in order, each response
 * streamed with a progress bar, checked against its SHA-256, and only then written (temp file
 * + rename), so a failed or corrupt download leaves nothing behind.
 *
 * @module
 */

import { concatBytes } from "../inference/bytes.ts";
import { joinPath } from "../lib/join_path.ts";
import { MnistDataError, type MnistFile, verifyChecksum } from "./mnist_files.ts";
import { startProgress } from "./progress.ts";

/** Public copies of the original files, most reliable first (yann.lecun.com often refuses). */
export const DEFAULT_MIRRORS: readonly string[] = [
  "https://ossci-datasets.s3.amazonaws.com/mnist/",
  "https://storage.googleapis.com/cvdf-datasets/mnist/",
  "http://yann.lecun.com/exdb/mnist/",
];

/** Default for how long a request may wait for its response or for the next chunk of body. */
export const DEFAULT_TIMEOUT_MS = 30_000;

export interface DownloadOptions {
  /** Base URLs ending in the directory that holds the files; defaults to DEFAULT_MIRRORS. */
  mirrors?: readonly string[];
  /** Injected for tests; defaults to the global fetch. */
  fetch?: typeof fetch;
  /** Give up on a mirror after this long without a response or a byte of body. */
  timeoutMs?: number;
  /** No progress bar and no log lines. */
  quiet?: boolean;
}

/** What was downloaded and where from. */
export interface Downloaded {
  bytes: Uint8Array;
  /** The mirror (as given) that served the file. */
  mirror: string;
  url: string;
}

/** A mirror failed for a reason worth trying the next one. */
class MirrorFailure extends Error {
  constructor(message: string, readonly network = false) {
    super(message);
  }
}

/** Turns Deno's "error sending request for url (...): client error (Connect): x" into "x". */
function networkReason(error: unknown): string {
  const cause = (error as { cause?: unknown }).cause;
  const text = cause instanceof Error ? cause.message : (error as Error).message;
  return text
    .replace(/^error sending request for url \([^)]*\): /, "")
    .replace(/^client error \([^)]*\): /, "");
}

/** Fetches one URL with an idle timeout, streaming the body through a progress bar. */
async function fetchBody(url: string, file: MnistFile, options: DownloadOptions) {
  const fetchFn = options.fetch ?? fetch;
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const controller = new AbortController();
  let timer: ReturnType<typeof setTimeout> | undefined;
  // An idle timeout, not a total one: a slow but steady link still finishes the 10 MB file.
  const arm = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), timeoutMs);
  };
  const timedOut = () =>
    new MirrorFailure(`no data for ${(timeoutMs / 1000).toFixed(1)} s (timed out)`, true);
  arm();
  try {
    let response: Response;
    try {
      response = await fetchFn(url, { signal: controller.signal });
    } catch (error) {
      if (controller.signal.aborted) throw timedOut();
      throw new MirrorFailure(networkReason(error), true);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw new MirrorFailure(`HTTP ${response.status} ${response.statusText}`.trim());
    }
    const announced = Number(response.headers.get("content-length")) || file.bytes;
    const progress = options.quiet
      ? { tick() {}, done() {} }
      : startProgress({ total: announced, label: file.name, unit: "kB", unitsPerTick: 1 / 1000 });
    const chunks: Uint8Array[] = [];
    let received = 0;
    const reader = response.body.getReader();
    try {
      while (true) {
        arm();
        const { done, value } = await reader.read();
        if (done) break;
        received += value.length;
        // A captive portal or a wrong file can be large: stop reading once it cannot match.
        if (received > file.bytes) {
          await reader.cancel();
          throw new MirrorFailure(`response larger than the ${file.bytes} bytes expected`);
        }
        chunks.push(value);
        progress.tick(value.length);
      }
    } catch (error) {
      if (error instanceof MirrorFailure) throw error;
      if (controller.signal.aborted) throw timedOut();
      throw new MirrorFailure(networkReason(error), true);
    } finally {
      progress.done();
    }
    return concatBytes(chunks);
  } finally {
    clearTimeout(timer);
  }
}

function mirrorUrl(mirror: string, name: string): string {
  try {
    return new URL(name, mirror.endsWith("/") ? mirror : `${mirror}/`).href;
  } catch {
    throw new MirrorFailure("not a valid URL");
  }
}

/** Writes `bytes` as `dir/name` so readers see either nothing or the whole file. */
async function writeAtomically(dir: string, name: string, bytes: Uint8Array) {
  let temp: string | undefined;
  try {
    await Deno.mkdir(dir, { recursive: true });
    temp = await Deno.makeTempFile({ dir, prefix: `.${name}.`, suffix: ".part" });
    await Deno.writeFile(temp, bytes);
    await Deno.rename(temp, joinPath(dir, name));
  } catch (error) {
    if (temp) await Deno.remove(temp).catch(() => {});
    throw new MnistDataError(
      "cache_unwritable",
      `cannot write ${joinPath(dir, name)}: ${(error as Error).message}`,
    );
  }
}

/**
 * Downloads `file` from the first mirror that serves it with the right SHA-256 and stores it
 * in `cacheDir`. Throws one MnistDataError listing every mirror's reason when all fail
 * (code `offline` when none could be reached at all).
 *
 * @example
 * ```ts
 * import { TEST_LABELS } from "./mnist_files.ts";
 *
 * const { bytes, url } = await downloadFile(TEST_LABELS, "/tmp/mnist-cache");
 * ```
 */
export async function downloadFile(
  file: MnistFile,
  cacheDir: string,
  options: DownloadOptions = {},
): Promise<Downloaded> {
  const mirrors = options.mirrors ?? DEFAULT_MIRRORS;
  const failures: { mirror: string; reason: string; network: boolean }[] = [];
  for (const mirror of mirrors) {
    let bytes: Uint8Array;
    let url: string;
    try {
      url = mirrorUrl(mirror, file.name);
      if (!options.quiet) console.error(`downloading ${url}`);
      bytes = await fetchBody(url, file, options);
      await verifyChecksum(bytes, file, file.name);
    } catch (error) {
      if (!(error instanceof MirrorFailure || error instanceof MnistDataError)) throw error;
      const network = error instanceof MirrorFailure && error.network;
      failures.push({ mirror, reason: error.message, network });
      if (!options.quiet) console.error(`  failed: ${error.message}`);
      continue;
    }
    // Another mirror cannot fix an unwritable cache, so this throws at once.
    await writeAtomically(cacheDir, file.name, bytes);
    return { bytes, mirror, url };
  }
  const reasons = failures.map((failure) => `${failure.mirror}: ${failure.reason}`).join("; ");
  const hint = "give local files with --data DIR or MNIST_DIR";
  if (failures.length > 0 && failures.every((failure) => failure.network)) {
    throw new MnistDataError(
      "offline",
      `cannot download ${file.name}: no mirror reachable, are you offline? (${reasons}); ${hint}`,
    );
  }
  throw new MnistDataError(
    "download_failed",
    `cannot download ${file.name} from any mirror (${reasons || "no mirrors given"}); ${hint}`,
  );
}
