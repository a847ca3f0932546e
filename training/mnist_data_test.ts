import assert, { deepStrictEqual } from "node:assert/strict";
import { loadMnist, MnistDataError } from "./mnist_data.ts";
import { MNIST_FILES, TEST_LABELS } from "./mnist_files.ts";
import {
  haveMnist,
  MNIST_DIR,
  rejection,
  reportSkip,
  startMirrorServer,
} from "./mnist_mirror_fixture.ts";

const ignore = !haveMnist();
reportSkip("loadMnist tests on the real files");

async function withTempDir(body: (dir: string) => Promise<void>) {
  const dir = await Deno.makeTempDir({ prefix: "mnist-data-" });
  try {
    await body(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function labelHistogram(labels: Uint8Array): number[] {
  const counts = new Array(10).fill(0);
  for (const label of labels) counts[label]++;
  return counts;
}

Deno.test({
  name: "loadMnist reads and verifies a data directory",
  ignore,
  fn: async () => {
    const mnist = await loadMnist({ dataDir: MNIST_DIR, cacheDir: "/nonexistent", quiet: true });

    deepStrictEqual([mnist.train.count, mnist.test.count], [60000, 10000]);
    deepStrictEqual([mnist.train.rows, mnist.train.cols], [28, 28]);
    deepStrictEqual(mnist.train.images.length, 60000 * 784);
    deepStrictEqual(mnist.test.labels.length, 10000);
    // Every digit appears in each split roughly a tenth of the time.
    for (const count of labelHistogram(mnist.test.labels)) assert(count > 800 && count < 1200);
    deepStrictEqual(mnist.source, MNIST_DIR);
    deepStrictEqual(Object.keys(mnist.sha256).sort(), MNIST_FILES.map((f) => f.name).sort());
  },
});

Deno.test({
  name: "loadMnist names the missing file of a data directory",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      for (const file of MNIST_FILES.filter((f) => f !== TEST_LABELS)) {
        await Deno.copyFile(`${MNIST_DIR}/${file.name}`, `${dir}/${file.name}`);
      }
      const error = await rejection(loadMnist({ dataDir: dir, cacheDir: dir, quiet: true }));

      assert(error instanceof MnistDataError, String(error));
      deepStrictEqual(error.code, "missing_file");
      assert(error.message.includes(`${dir}/${TEST_LABELS.name}`), error.message);
      assert(!error.message.includes("\n"), "one line");
    }),
});

Deno.test({
  name: "loadMnist rejects a data directory file whose checksum is wrong",
  ignore,
  fn: () =>
    withTempDir(async (dir) => {
      for (const file of MNIST_FILES) {
        await Deno.copyFile(`${MNIST_DIR}/${file.name}`, `${dir}/${file.name}`);
      }
      const labels = await Deno.readFile(`${dir}/${TEST_LABELS.name}`);
      labels[100] ^= 1;
      await Deno.writeFile(`${dir}/${TEST_LABELS.name}`, labels);
      const error = await rejection(loadMnist({ dataDir: dir, cacheDir: dir, quiet: true }));

      assert(error instanceof MnistDataError, String(error));
      deepStrictEqual(error.code, "checksum_mismatch");
      assert(error.message.includes(`${dir}/${TEST_LABELS.name}`), error.message);
      assert(error.message.includes(TEST_LABELS.sha256), error.message);
    }),
});

Deno.test({
  name: "loadMnist downloads past a corrupt mirror, then loads from the cache without fetching",
  ignore,
  fn: () =>
    withTempDir(async (cacheDir) => {
      const server = await startMirrorServer();
      try {
        const mirrors = [server.mirror("corrupt"), server.mirror("good")];
        const first = await loadMnist({ cacheDir, mirrors, quiet: true });
        deepStrictEqual([first.train.count, first.test.count], [60000, 10000]);
        assert(first.source.includes(server.mirror("good")), first.source);
        // The corrupt mirror is tried once; after the good one works it goes first.
        deepStrictEqual(server.requests.get("corrupt-a"), 1);
        deepStrictEqual(server.requests.get("good-a"), 4);

        const second = await loadMnist({ cacheDir, mirrors, quiet: true });
        deepStrictEqual(second.source, `${cacheDir} (cache)`);
        deepStrictEqual([...second.test.labels.subarray(0, 50)], [
          ...first.test.labels.subarray(0, 50),
        ]);
        deepStrictEqual(server.requests.get("corrupt-a"), 1);
        deepStrictEqual(server.requests.get("good-a"), 4);

        // A cached file that no longer verifies is fetched again, alone.
        await Deno.writeFile(`${cacheDir}/${TEST_LABELS.name}`, new Uint8Array(10));
        await loadMnist({ cacheDir, mirrors: [server.mirror("good")], quiet: true });
        deepStrictEqual(server.requests.get("good-a"), 5);
      } finally {
        await server.close();
      }
    }),
});
