import assert, { deepStrictEqual } from "node:assert/strict";
import { MnistFormatError, parseImages, parseLabels } from "./mnist_idx.ts";

function idx(words: number[], body: number[]): Uint8Array {
  const bytes = new Uint8Array(words.length * 4 + body.length);
  const view = new DataView(bytes.buffer);
  words.forEach((w, i) => view.setUint32(i * 4, w, false));
  bytes.set(body, words.length * 4);
  return bytes;
}

function throwsFormat(fn: () => unknown, fragment: string): void {
  try {
    fn();
  } catch (error) {
    assert(error instanceof MnistFormatError, `wrong error type: ${error}`);
    assert(error.message.includes(fragment), `message "${error.message}" lacks "${fragment}"`);
    return;
  }
  throw new Error("expected a MnistFormatError");
}

Deno.test("parseImages reads the header and pixels", () => {
  const set = parseImages(idx([2051, 2, 2, 2], [1, 2, 3, 4, 5, 6, 7, 8]));
  deepStrictEqual([set.count, set.rows, set.cols], [2, 2, 2]);
  deepStrictEqual(Array.from(set.images), [1, 2, 3, 4, 5, 6, 7, 8]);
});

Deno.test("parseImages rejects a wrong magic number and a truncated body", () => {
  throwsFormat(() => parseImages(idx([2049, 1, 2, 2], [0, 0, 0, 0])), "magic");
  throwsFormat(() => parseImages(idx([2051, 2, 2, 2], [0, 0, 0])), "header promises");
  throwsFormat(() => parseImages(new Uint8Array(3)), "too short");
});

Deno.test("parseLabels checks magic, count and range", () => {
  deepStrictEqual(Array.from(parseLabels(idx([2049, 3], [7, 0, 9]))), [7, 0, 9]);
  throwsFormat(() => parseLabels(idx([2051, 1], [1])), "magic");
  throwsFormat(() => parseLabels(idx([2049, 2], [1])), "header promises");
  throwsFormat(() => parseLabels(idx([2049, 1], [12])), "above 9");
});
