/**
 * Start-up warm-up for the preprocessing, so the first requests do not pay for compiling it.
 *
 * @module
 */
import { mnistField, normalise } from "../lib/preprocess.ts";

/** Runs the preprocessing on a synthetic drawing a few times. */
export function warmUpPreprocessing(): void {
  const size = 96;
  const data = new Uint8Array(size * size * 4);
  for (let i = 20; i < 76; i++) data[(i * size + 48) * 4 + 3] = data[(i * size + i) * 4 + 3] = 255;
  const image = { width: size, height: size, data };
  for (let pass = 0; pass < 20; pass++) normalise(mnistField(image), { mean: 0, std: 1 });
}
