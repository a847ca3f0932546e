/**
 * A budget for decoded pixels in flight. A small file can declare a huge image (a 98 KB PNG
 * of 4096x4096 RGBA inflates to 64 MiB, and the decoder's output doubles that), so what the
 * server holds is bounded by what images decode to, not by body sizes: each decode reserves
 * its estimated bytes first, and a reservation past the budget is refused (the caller answers
 * 503 + Retry-After). One client may hold at most `perClientShare` of it, so a burst from one
 * address cannot take it all. A lone image is always let through when nothing else is held
 * (the side limit already bounds it), or images larger than the budget could never decode.
 *
 * Canvas-sized images and big ones have budgets of their own (DecodeLanes): a big image alone
 * may hold its whole budget, and when that was the only budget every drawing sent meanwhile
 * was refused (measured: during a burst of 16-bit 4096x4096 PNGs another client's 280x280
 * drawings got 503 for 65-88 of 67-90 requests, and the fuzz test's valid request got 503 while
 * a bomb it had given up on was still decoding).
 *
 * @module
 */
import type { ImageHeader } from "./image_header.ts";
import { DECODE_IN_WORKER_MAX_PIXELS } from "./predict.ts";

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

  /** Whether `reserve(cost, client)` would succeed now (reserves nothing). */
  admits(cost: number, client: string): boolean {
    const mine = this.#byClient.get(client) ?? 0;
    const alone = this.#held === 0;
    return alone || (this.#held + cost <= this.bytes && mine + cost <= this.#perClient);
  }

  /** Reserves `cost` bytes for `client`; a release function, or null when over budget. */
  reserve(cost: number, client: string): (() => void) | null {
    if (!this.admits(cost, client)) return null;
    const mine = this.#byClient.get(client) ?? 0;
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

export interface DecodeLanesOptions extends DecodeBudgetOptions {
  /** The fraction of `bytes` kept for canvas-sized images (up to 1 MP, the HTTP thread's). */
  smallShare?: number;
}

/**
 * The decode budget in two lanes: images up to DECODE_IN_WORKER_MAX_PIXELS (every canvas,
 * decoded on the HTTP thread) and bigger ones (decoded one at a time by the big-image
 * workers). Each lane is a DecodeBudget with its own share of `bytes`, so the two together
 * hold at most `bytes` (or one lone image larger than its lane).
 *
 * @example
 * ```ts
 * import { DecodeLanes } from "./decode_budget.ts";
 *
 * const lanes = new DecodeLanes({ bytes: 192 * 2 ** 20 });
 * const drawing = { width: 280, height: 280 };
 * const release = lanes.laneFor(drawing).reserve(627_200, "203.0.113.7");
 * release?.();
 * ```
 */
export class DecodeLanes {
  readonly small: DecodeBudget;
  readonly big: DecodeBudget;

  constructor({ bytes, perClientShare, smallShare = 1 / 3 }: DecodeLanesOptions) {
    if (!(smallShare > 0 && smallShare < 1)) throw new RangeError("smallShare must be in (0, 1)");
    this.small = new DecodeBudget({ bytes: bytes * smallShare, perClientShare });
    this.big = new DecodeBudget({ bytes: bytes * (1 - smallShare), perClientShare });
  }

  /** The lane an image of this header decodes in. */
  laneFor(header: Pick<ImageHeader, "width" | "height">): DecodeBudget {
    return header.width * header.height > DECODE_IN_WORKER_MAX_PIXELS ? this.big : this.small;
  }
}
