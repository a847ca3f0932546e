/**
 * The benchmark's written number: the 280x280 payload digit four times side by side at half
 * size on a 560x280 canvas (the number pad's shape), as the page sends it (RGBA, #111 ink on
 * white paper), and the same digit alone on that canvas for comparison.
 *
 * @module
 */
import { encode } from "fast-png";
import { decodeImage } from "../inference/image_decode.ts";

export const NUMBER_WIDTH = 560, NUMBER_HEIGHT = 280;

/** PNGs of `copies` half-size copies of the grey 280x280 `digitPng`, left to right. */
export async function numberPng(digitPng: Uint8Array, copies: number): Promise<Uint8Array> {
  const { image } = await decodeImage(digitPng);
  const channels = image.channels ?? 4;
  const rgba = new Uint8Array(NUMBER_WIDTH * NUMBER_HEIGHT * 4).fill(255);
  const side = NUMBER_WIDTH / 4;
  for (let copy = 0; copy < copies; copy++) {
    for (let y = 0; y < side; y++) {
      for (let x = 0; x < side; x++) {
        // Mean of the 2x2 source pixels: the digit at half size.
        let sum = 0;
        for (const [dx, dy] of [[0, 0], [1, 0], [0, 1], [1, 1]]) {
          sum += image.data[((2 * y + dy) * image.width + 2 * x + dx) * channels];
        }
        const ink = sum / 4 / 255;
        const p = ((y + (NUMBER_HEIGHT - side) / 2) * NUMBER_WIDTH + copy * side + x) * 4;
        const paper = Math.round(255 - ink * (255 - 17));
        rgba[p] = rgba[p + 1] = rgba[p + 2] = paper;
      }
    }
  }
  return encode({ width: NUMBER_WIDTH, height: NUMBER_HEIGHT, data: rgba, channels: 4, depth: 8 });
}
