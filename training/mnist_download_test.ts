import assert, { deepStrictEqual } from "node:assert/strict";
import { downloadFile } from "./mnist_download.ts";
import { MnistDataError, sha256Hex, TEST_IMAGES, TEST_LABELS } from "./mnist_files.ts";
import {
  closedPortUrl,
  haveMnist,
  rejection,
  reportSkip,
  startMirrorServer,
} from "./mnist_mirror_fixture.ts";

const ignore = !haveMnist();
reportSkip("the MNIST downloader tests against a loopback mirror");

/** Runs `body` with a fresh cache directory and the loopback mirrors, then removes both. */
async function withMirrors(
  body: (cacheDir: string, server: Awaited<ReturnType<typeof startMirrorServer>>) => Promise<void>,
) {
  const cacheDir = await Deno.makeTempDir({ prefix: "mnist-cache-" });
  const server = await startMirrorServer();
  try {
    await body(cacheDir, server);
  } finally {
    await server.close();
    await Deno.remove(cacheDir, { recursive: true });
  }
}

async function entries(dir: string): Promise<string[]> {
  const names: string[] = [];
  for await (const entry of Deno.readDir(dir)) names.push(entry.name);
  return names.sort();
}

Deno.test({
  name: "downloadFile skips a 404 mirror and a corrupt mirror, then caches the verified file",
  ignore,
  fn: () =>
    withMirrors(async (cacheDir, server) => {
      const mirrors = [server.mirror("missing"), server.mirror("corrupt"), server.mirror("good")];
      const result = await downloadFile(TEST_IMAGES, cacheDir, { mirrors, quiet: true });

      deepStrictEqual(result.mirror, server.mirror("good"));
      deepStrictEqual(await sha256Hex(result.bytes), TEST_IMAGES.sha256);
      const cached = await Deno.readFile(`${cacheDir}/${TEST_IMAGES.name}`);
      deepStrictEqual(await sha256Hex(cached), TEST_IMAGES.sha256);
      deepStrictEqual(await entries(cacheDir), [TEST_IMAGES.name]);
      deepStrictEqual(
        [...server.requests.entries()].sort(),
        [["corrupt-a", 1], ["good-a", 1], ["missing-a", 1]],
      );
    }),
});

Deno.test({
  name: "downloadFile with every mirror corrupt names each reason and leaves the cache empty",
  ignore,
  fn: () =>
    withMirrors(async (cacheDir, server) => {
      const mirrors = [server.mirror("corrupt", "a"), server.mirror("corrupt", "b")];
      const error = await rejection(downloadFile(TEST_LABELS, cacheDir, { mirrors, quiet: true }));

      assert(error instanceof MnistDataError, String(error));
      deepStrictEqual(error.code, "download_failed");
      assert(!error.message.includes("\n"), "one line");
      assert(error.message.includes(TEST_LABELS.name), error.message);
      for (const mirror of mirrors) {
        assert(error.message.includes(`${mirror}: checksum mismatch`), error.message);
      }
      deepStrictEqual(await entries(cacheDir), []);
    }),
});

Deno.test({
  name: "downloadFile stops reading a response larger than the file can be",
  ignore,
  fn: () =>
    withMirrors(async (cacheDir, server) => {
      const mirrors = [server.mirror("huge")];
      const error = await rejection(downloadFile(TEST_IMAGES, cacheDir, { mirrors, quiet: true }));

      assert(error instanceof MnistDataError, String(error));
      assert(error.message.includes("larger than the 1648877 bytes expected"), error.message);
      deepStrictEqual(await entries(cacheDir), []);
    }),
});

Deno.test({
  name: "downloadFile times out a mirror that never answers and moves on",
  ignore,
  fn: () =>
    withMirrors(async (cacheDir, server) => {
      const options = { quiet: true, timeoutMs: 200 };
      const stalled = [server.mirror("stall")];
      const error = await rejection(
        downloadFile(TEST_LABELS, cacheDir, { ...options, mirrors: stalled }),
      );
      assert(error instanceof MnistDataError, String(error));
      assert(error.message.includes("timed out"), error.message);

      const mirrors = [server.mirror("stall"), server.mirror("good")];
      const result = await downloadFile(TEST_LABELS, cacheDir, { ...options, mirrors });
      deepStrictEqual(result.mirror, server.mirror("good"));
    }),
});

Deno.test({
  name: "downloadFile's timeout is per silence, so a slow but steady response completes",
  ignore,
  fn: () =>
    withMirrors(async (cacheDir, server) => {
      // Six parts 150 ms apart: 900 ms in all, never 500 ms without data.
      const mirrors = [server.mirror("trickle")];
      const started = performance.now();
      const result = await downloadFile(TEST_LABELS, cacheDir, {
        mirrors,
        quiet: true,
        timeoutMs: 500,
      });
      assert(performance.now() - started > 500, "the response took longer than the timeout");
      deepStrictEqual(await sha256Hex(result.bytes), TEST_LABELS.sha256);
    }),
});

Deno.test({
  name: "downloadFile reports a cache it cannot write instead of trying other mirrors",
  ignore,
  fn: () =>
    withMirrors(async (cacheDir, server) => {
      await Deno.writeTextFile(`${cacheDir}/blocker`, "a file where a directory should be");
      const mirrors = [server.mirror("good", "a"), server.mirror("good", "b")];
      const unwritable = `${cacheDir}/blocker/mnist`;
      const error = await rejection(
        downloadFile(TEST_LABELS, unwritable, { mirrors, quiet: true }),
      );

      assert(error instanceof MnistDataError, String(error));
      deepStrictEqual(error.code, "cache_unwritable");
      assert(error.message.includes(`${unwritable}/${TEST_LABELS.name}`), error.message);
      deepStrictEqual(server.requests.get("good-b"), undefined);
    }),
});

Deno.test("downloadFile reports a refused connection as offline, in one line", async () => {
  const cacheDir = await Deno.makeTempDir({ prefix: "mnist-cache-" });
  try {
    const mirrors = [closedPortUrl(), closedPortUrl()];
    const error = await rejection(downloadFile(TEST_LABELS, cacheDir, { mirrors, quiet: true }));

    assert(error instanceof MnistDataError, String(error));
    deepStrictEqual(error.code, "offline");
    assert(error.message.includes("are you offline?"), error.message);
    assert(error.message.includes("Connection refused"), error.message);
    assert(!error.message.includes("\n"), "one line");
    deepStrictEqual(await entries(cacheDir), []);
  } finally {
    await Deno.remove(cacheDir, { recursive: true });
  }
});
