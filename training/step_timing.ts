/**
 * Where a data-parallel step's time goes, per worker: what `deno task bench:train` prints to
 * tell compute from the exchange's overhead and from waiting for the other workers.
 *
 * @module
 */

/** Milliseconds of one step (or a mean over steps) by phase. */
export interface StepTiming {
  /** Normalising and augmenting this worker's slice of the batch. */
  augment: number;
  /** Forward, backward and writing the gradients into the exchange. */
  compute: number;
  /** Adding every worker's gradients over this worker's slice of the weights. */
  sum: number;
  /** Adam's update of that slice. */
  adam: number;
  /** Loading the whole updated model into this worker's copy. */
  load: number;
  /** Waiting at the barriers for the other workers (not counted in the phases above). */
  wait: number;
}

export type StepPhase = Exclude<keyof StepTiming, "wait">;

const PHASES: (keyof StepTiming)[] = ["augment", "compute", "sum", "adam", "load", "wait"];

/**
 * Times a step's phases in order: `lap(phase)` books the time since the last lap to `phase`,
 * minus what `waited()` (a running total of barrier waits) grew by meanwhile, which goes to
 * `wait`.
 */
export class StepClock {
  readonly timing: StepTiming = { augment: 0, compute: 0, sum: 0, adam: 0, load: 0, wait: 0 };
  #last = performance.now();
  #waited: number;

  constructor(private readonly waited: () => number) {
    this.#waited = waited();
  }

  lap(phase: StepPhase): void {
    const now = performance.now(), waited = this.waited();
    const wait = waited - this.#waited;
    this.timing[phase] += now - this.#last - wait;
    this.timing.wait += wait;
    this.#last = now;
    this.#waited = waited;
  }
}

/** Sums step timings; `mean()` is the mean step so far. */
export class TimingTotal {
  #sum: StepTiming = { augment: 0, compute: 0, sum: 0, adam: 0, load: 0, wait: 0 };
  #steps = 0;

  add(timing: StepTiming): void {
    for (const phase of PHASES) this.#sum[phase] += timing[phase];
    this.#steps++;
  }

  mean(): StepTiming {
    const mean = { ...this.#sum };
    for (const phase of PHASES) mean[phase] /= Math.max(1, this.#steps);
    return mean;
  }
}

/** "augment 1.2, compute 40.1, ..." in milliseconds, for a table cell. */
export function formatTiming(timing: StepTiming): string {
  return PHASES.map((phase) => `${phase} ${timing[phase].toFixed(1)}`).join(", ");
}
