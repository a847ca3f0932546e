/**
 * A terminal progress bar with rate and ETA. On a terminal it redraws one line;
 * elsewhere (logs, CI) it stays silent so callers print one plain line per step.
 *
 * @module
 */

export interface ProgressOptions {
  /** Units of work in total (batches, bytes). */
  total: number;
  /** Text before the bar, e.g. "epoch 3/10". */
  label: string;
  /** Name of a unit for the rate, e.g. "img" or "B". */
  unit?: string;
  /** Scale of the rate (e.g. batch size when counting images per batch). */
  unitsPerTick?: number;
  /** Where to draw; defaults to stderr. */
  output?: { isTerminal(): boolean; writeSync(bytes: Uint8Array): number };
}

export interface Progress {
  /** Advances by `n` units and redraws with an optional suffix (loss, etc.). */
  tick(n?: number, suffix?: string): void;
  /** Clears the bar line. */
  done(): void;
}

const WIDTH = 28;
const encoder = new TextEncoder();

/** Formats seconds as m:ss. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds)) return "--:--";
  const s = Math.max(0, Math.round(seconds));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, "0")}`;
}

/** Renders a bar line; pure so it can be tested without a terminal. */
export function renderBar(
  done: number,
  total: number,
  elapsedSeconds: number,
  options: { label: string; unit?: string; unitsPerTick?: number; suffix?: string },
): string {
  const fraction = total > 0 ? Math.min(1, done / total) : 1;
  const filled = Math.round(fraction * WIDTH);
  const rate = elapsedSeconds > 0 ? (done * (options.unitsPerTick ?? 1)) / elapsedSeconds : 0;
  const eta = rate > 0 ? ((total - done) * (options.unitsPerTick ?? 1)) / rate : Infinity;
  const bar = "#".repeat(filled) + "-".repeat(WIDTH - filled);
  const suffix = options.suffix ? ` ${options.suffix}` : "";
  return `${options.label} [${bar}] ${(fraction * 100).toFixed(0).padStart(3)}% ` +
    `${rate.toFixed(0)} ${options.unit ?? "it"}/s ETA ${formatDuration(eta)}${suffix}`;
}

/** Starts a progress bar (a no-op when the output is not a terminal). */
export function startProgress(options: ProgressOptions): Progress {
  const output = options.output ?? Deno.stderr;
  if (!output.isTerminal()) return { tick() {}, done() {} };
  const started = performance.now();
  let done = 0;
  let lastDraw = 0;
  const draw = (suffix?: string) => {
    const line = renderBar(done, options.total, (performance.now() - started) / 1000, {
      ...options,
      suffix,
    });
    output.writeSync(encoder.encode(`\r\x1b[2K${line}`));
  };
  return {
    tick(n = 1, suffix?: string) {
      done += n;
      const now = performance.now();
      // Redrawing every batch costs more than the batch on fast models: ~10 Hz is enough.
      if (now - lastDraw > 100 || done >= options.total) {
        lastDraw = now;
        draw(suffix);
      }
    },
    done() {
      output.writeSync(encoder.encode("\r\x1b[2K"));
    },
  };
}
