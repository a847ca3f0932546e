/**
 * Reads MNIST's IDX files (gzipped): images (magic 2051) and labels (magic 2049).
 *
 * @module
 */

/** A set of 28x28 grey images (0-255, row-major) with their labels. */
export interface DigitSet {
  images: Uint8Array;
  labels: Uint8Array;
  count: number;
  rows: number;
  cols: number;
}

/** A data problem a user can cause (wrong file, truncated download). */
export class MnistFormatError extends Error {
  override name = "MnistFormatError";
}

const IMAGES_MAGIC = 2051;
const LABELS_MAGIC = 2049;

/** Decompresses gzip bytes with the platform's DecompressionStream. */
export async function gunzip(bytes: Uint8Array): Promise<Uint8Array> {
  try {
    const stream = new Blob([bytes as BlobPart]).stream().pipeThrough(
      new DecompressionStream("gzip"),
    );
    return new Uint8Array(await new Response(stream).arrayBuffer());
  } catch (error) {
    throw new MnistFormatError(`not a valid gzip file (${(error as Error).message})`);
  }
}

function header(bytes: Uint8Array, words: number, what: string): number[] {
  if (bytes.length < words * 4) {
    throw new MnistFormatError(`${what}: file too short for its header`);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: words }, (_, i) => view.getUint32(i * 4, false));
}

/** Parses an uncompressed IDX3 image file. */
export function parseImages(bytes: Uint8Array): Omit<DigitSet, "labels"> {
  const [magic, count, rows, cols] = header(bytes, 4, "images");
  if (magic !== IMAGES_MAGIC) {
    throw new MnistFormatError(`images: magic number ${magic}, expected ${IMAGES_MAGIC}`);
  }
  const expected = 16 + count * rows * cols;
  if (bytes.length !== expected) {
    throw new MnistFormatError(`images: ${bytes.length} bytes, header promises ${expected}`);
  }
  return { images: bytes.subarray(16), count, rows, cols };
}

/** Parses an uncompressed IDX1 label file. */
export function parseLabels(bytes: Uint8Array): Uint8Array {
  const [magic, count] = header(bytes, 2, "labels");
  if (magic !== LABELS_MAGIC) {
    throw new MnistFormatError(`labels: magic number ${magic}, expected ${LABELS_MAGIC}`);
  }
  if (bytes.length !== 8 + count) {
    throw new MnistFormatError(`labels: ${bytes.length} bytes, header promises ${8 + count}`);
  }
  const labels = bytes.subarray(8);
  if (labels.some((label) => label > 9)) throw new MnistFormatError("labels: value above 9");
  return labels;
}

/** Joins gzipped image and label files into one checked set. */
export async function parseDigitSet(
  imagesGz: Uint8Array,
  labelsGz: Uint8Array,
): Promise<DigitSet> {
  const images = parseImages(await gunzip(imagesGz));
  const labels = parseLabels(await gunzip(labelsGz));
  if (labels.length !== images.count) {
    throw new MnistFormatError(`${images.count} images but ${labels.length} labels`);
  }
  return { ...images, labels };
}
