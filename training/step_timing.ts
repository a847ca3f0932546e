/**
 * Where a training step's time goes, per thread: what `deno task bench:train` prints to tell
 * compute from the exchange's overhead and from waiting for the other workers. Each phase is
 * timed twice: wall time, and the CPU time of the thread itself (threadCpuMs), which on a
 * busy machine is the figure to compare (wall time there says more about the scheduler), and
 * which shows whether a wait burns CPU.
 *
 * @module
 */
import process from "node:process";

/** Milliseconds of one step (or a mean over steps) by phase. */
export interface StepTiming {
  /** Normalising and augmenting this worker's slice of the batch. */
  augment: number;
  /** A teacher's reading of the slice (distillation.ts; 0 without one). */
  teacher: number;
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

/** Wall and thread-CPU milliseconds of a step by phase (cpu is NaN where unmeasurable). */
export interface PhaseTimes {
  wall: StepTiming;
  cpu: StepTiming;
}

export type StepPhase = Exclude<keyof StepTiming, "wait">;

const PHASES: (keyof StepTiming)[] = [
  "augment",
  "teacher",
  "compute",
  "sum",
  "adam",
  "load",
  "wait",
];

const zero = (): StepTiming => ({
  augment: 0,
  teacher: 0,
  compute: 0,
  sum: 0,
  adam: 0,
  load: 0,
  wait: 0,
});

/** CLOCK_THREAD_CPUTIME_ID (Linux): the calling thread's CPU time, to the nanosecond. */
const THREAD_CPU_CLOCK = 3;

/**
 * The thread's CPU clock through libc's clock_gettime, where the process may load libraries
 * (--allow-ffi, as `deno task bench:train` grants); null elsewhere (training itself, other
 * systems). getrusage's per-thread figure moves in 10 ms ticks on this machine's kernel,
 * coarser than a phase of a step; this clock is exact.
 */
function preciseThreadClock(): (() => number) | null {
  if (Deno.build.os !== "linux") return null;
  if (Deno.permissions.querySync?.({ name: "ffi" }).state !== "granted") return null;
  try {
    const libc = Deno.dlopen("libc.so.6", {
      clock_gettime: { parameters: ["i32", "buffer"], result: "i32" },
    });
    const time = new BigInt64Array(2);
    return () => {
      if (libc.symbols.clock_gettime(THREAD_CPU_CLOCK, time) !== 0) return NaN;
      return Number(time[0]) * 1000 + Number(time[1]) / 1e6;
    };
  } catch {
    return null;
  }
}

const preciseClock = preciseThreadClock();

/**
 * CPU milliseconds the calling thread has run: exact with --allow-ffi (preciseThreadClock),
 * else node:process's threadCpuUsage (getrusage of the thread), or NaN where the runtime lacks
 * it. Linux counts getrusage's in 10 ms ticks, so one phase of one step is then a coarse
 * sample; the means over an epoch's steps are what to read.
 */
export function threadCpuMs(): number {
  if (preciseClock) return preciseClock();
  const usage = process.threadCpuUsage?.();
  return usage ? (usage.user + usage.system) / 1000 : NaN;
}

/** Whether threadCpuMs is exact (thread CPU clock) rather than counted in ticks. */
export const threadCpuIsExact = preciseClock !== null;

/**
 * Times a step's phases in order: `lap(phase)` books the time since the last lap to `phase`,
 * minus what `waited()` (a running total of barrier waits, wall ms) grew by meanwhile, which
 * goes to `wait`; the thread's CPU time is booked alike (a wait's CPU: what the barrier
 * burnt, nearly nothing for Atomics.wait).
 */
export class StepClock {
  readonly times: PhaseTimes = { wall: zero(), cpu: zero() };
  #last = performance.now();
  #lastCpu = threadCpuMs();
  #waited: number;
  #waitedCpu: number;

  constructor(private readonly waited: () => { wall: number; cpu: number } = () => NO_WAIT) {
    ({ wall: this.#waited, cpu: this.#waitedCpu } = waited());
  }

  lap(phase: StepPhase): void {
    const now = performance.now(), cpu = threadCpuMs(), waited = this.waited();
    const wait = waited.wall - this.#waited, waitCpu = waited.cpu - this.#waitedCpu;
    this.times.wall[phase] += now - this.#last - wait;
    this.times.wall.wait += wait;
    this.times.cpu[phase] += cpu - this.#lastCpu - waitCpu;
    this.times.cpu.wait += waitCpu;
    this.#last = now;
    this.#lastCpu = cpu;
    this.#waited = waited.wall;
    this.#waitedCpu = waited.cpu;
  }
}

const NO_WAIT = { wall: 0, cpu: 0 };

/** Sums step timings; `mean()` is the mean step so far. */
export class TimingTotal {
  #sum: PhaseTimes = { wall: zero(), cpu: zero() };
  #steps = 0;

  add(times: PhaseTimes): void {
    for (const phase of PHASES) {
      this.#sum.wall[phase] += times.wall[phase];
      this.#sum.cpu[phase] += times.cpu[phase];
    }
    this.#steps++;
  }

  mean(): PhaseTimes {
    const mean = { wall: { ...this.#sum.wall }, cpu: { ...this.#sum.cpu } };
    for (const phase of PHASES) {
      mean.wall[phase] /= Math.max(1, this.#steps);
      mean.cpu[phase] /= Math.max(1, this.#steps);
    }
    return mean;
  }
}

/** "augment 1.2, compute 40.1, ..." in milliseconds, for a table cell. */
export function formatTiming(timing: StepTiming): string {
  return PHASES.map((phase) => `${phase} ${timing[phase].toFixed(1)}`).join(", ");
}

/** The sum of a step's phases, waits included. */
export function totalMs(timing: StepTiming): number {
  return PHASES.reduce((sum, phase) => sum + timing[phase], 0);
}
