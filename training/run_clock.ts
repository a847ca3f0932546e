/**
 * The overall ETA of a training run across its models and epochs ("about 38 min left"). A model
 * already training is timed by its own epochs; one not started yet by its architecture's
 * measured epoch time, scaled by how fast this machine has been so far.
 *
 * @module
 */

export interface ModelWork {
  name: string;
  epochs: number;
  /** Epochs already done (a resumed run). */
  epochsDone: number;
  /** A guess at one epoch's seconds before any is measured. */
  guessSeconds: number;
}

export class RunClock {
  readonly #models: Map<string, ModelWork & { measured: number[] }>;

  constructor(models: ModelWork[]) {
    this.#models = new Map(models.map((m) => [m.name, { ...m, measured: [] }]));
  }

  /** Records a finished epoch of `name` that took `seconds`. */
  epochDone(name: string, seconds: number): void {
    const model = this.#models.get(name);
    if (!model) throw new RangeError(`unknown model ${name}`);
    model.epochsDone++;
    model.measured.push(seconds);
  }

  /** Seconds of training left in the whole run. */
  remainingSeconds(): number {
    let measured = 0, guessed = 0;
    for (const m of this.#models.values()) {
      for (const s of m.measured) measured += s, guessed += m.guessSeconds;
    }
    const speed = guessed > 0 ? measured / guessed : 1;
    let left = 0;
    for (const m of this.#models.values()) {
      const perEpoch = m.measured.length > 0
        ? m.measured.reduce((a, b) => a + b, 0) / m.measured.length
        : m.guessSeconds * speed;
      left += Math.max(0, m.epochs - m.epochsDone) * perEpoch;
    }
    return left;
  }
}

/** "about 1 h 23 min", "about 38 min", "about 40 s" (rounded the way a person plans). */
export function formatRemaining(seconds: number): string {
  if (seconds < 60) return `about ${Math.max(1, Math.round(seconds / 10) * 10)} s`;
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `about ${minutes} min`;
  return `about ${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}
