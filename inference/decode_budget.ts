/**
 * A budget for decoded pixels in flight. A small file can declare a huge image (a 98 KB PNG
 * of 4096x4096 RGBA inflates to 64 MiB, and the decoder's output doubles that), so what the
 * server holds is bounded by what images decode to, not by body sizes: each decode reserves
 * its estimated bytes first, and a reservation past the budget is refused (the caller answers
 * 503 + Retry-After). One client may hold at most `perClientShare` of it, so a burst from one
 * address cannot take it all. A lone image is always let through when nothing else is held
 * (the side limit already bounds it), or images larger than the budget could never decode.
 *
 * @module
 */
import type { ImageHeader } from "./image_header.ts";

export interface DecodeBudgetOptions {
  /** Bytes of decoded images allowed in flight at once. */
  bytes: number;
  /** The fraction of `bytes` one client may hold; 1 turns per-client fairness off. */
  perClientShare?: number;
}

/** What decoding an image of this header may hold at its peak, in bytes (an upper bound). */
export function decodeCost(header: ImageHeader, bytes: Uint8Array): number {
  const pixels = header.width * header.height;
  if (header.format === "jpeg") {
    // Progressive JPEGs keep every component's coefficients (2 bytes each) besides the RGBA.
    return pixels * (3 * 2 + 4);
  }
  // The inflated rows (up to 16-bit RGBA, 8 bytes a pixel) and the RGBA output beside them.
  const depth = bytes[24] ?? 8, colourType = bytes[25] ?? 6;
  const channels = ({ 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 } as Record<number, number>)[colourType] ?? 4;
  const rowBytes = Math.ceil(header.width * channels * depth / 8) + 1;
  return rowBytes * header.height + pixels * 4;
}

export class DecodeBudget {
  readonly bytes: number;
  readonly #perClient: number;
  #held = 0;
  readonly #byClient = new Map<string, number>();

  constructor({ bytes, perClientShare = 0.5 }: DecodeBudgetOptions) {
    if (!(bytes > 0) || !(perClientShare > 0 && perClientShare <= 1)) {
      throw new RangeError("bytes must be positive and perClientShare in (0, 1]");
    }
    this.bytes = bytes;
    this.#perClient = bytes * perClientShare;
  }

  /** Bytes reserved now. */
  get held(): number {
    return this.#held;
  }

  /** Reserves `cost` bytes for `client`; a release function, or null when over budget. */
  reserve(cost: number, client: string): (() => void) | null {
    const mine = this.#byClient.get(client) ?? 0;
    const alone = this.#held === 0;
    if (!alone && (this.#held + cost > this.bytes || mine + cost > this.#perClient)) return null;
    this.#held += cost;
    this.#byClient.set(client, mine + cost);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.#held -= cost;
      const left = (this.#byClient.get(client) ?? cost) - cost;
      if (left > 0) this.#byClient.set(client, left);
      else this.#byClient.delete(client);
    };
  }
}
