/**
 * Small pure helpers for the server-rendered SVG charts on the model card: linear scales,
 * readable tick values and polyline paths.
 *
 * @module
 */

export interface LinearScale {
  (value: number): number;
  domain: [number, number];
}

/** Maps `domain` onto `range` linearly; a zero-width domain maps everything to the middle. */
export function linearScale(domain: [number, number], range: [number, number]): LinearScale {
  const [d0, d1] = domain, [r0, r1] = range;
  const scale =
    ((value: number) =>
      d1 === d0 ? (r0 + r1) / 2 : r0 + ((value - d0) / (d1 - d0)) * (r1 - r0)) as LinearScale;
  scale.domain = domain;
  return scale;
}

/**
 * About `count` round tick values (steps of 1, 2 or 5 times a power of ten) covering
 * [min, max], and the domain widened to the outer ticks so lines never touch the frame.
 */
export function niceTicks(min: number, max: number, count = 5) {
  if (!Number.isFinite(min) || !Number.isFinite(max)) throw new RangeError("non-finite range");
  if (min === max) {
    const pad = min === 0 ? 1 : Math.abs(min) * 0.1;
    min -= pad;
    max += pad;
  }
  const rough = (max - min) / Math.max(1, count);
  const power = 10 ** Math.floor(Math.log10(rough));
  const step = [1, 2, 5, 10].map((m) => m * power).find((s) => s >= rough)!;
  const start = Math.floor(min / step) * step;
  const end = Math.ceil(max / step) * step;
  const ticks: number[] = [];
  // Rounded to the step's precision so 0.1 + 0.2 does not print as 0.30000000000000004.
  const digits = Math.max(0, -Math.floor(Math.log10(step)));
  for (let value = start; value <= end + step / 2; value += step) {
    ticks.push(Number(value.toFixed(digits)));
  }
  return { ticks, domain: [ticks[0], ticks[ticks.length - 1]] as [number, number], step };
}

/** SVG path data through the points, in order. */
export function linePath(points: { x: number; y: number }[]): string {
  return points.map((p, i) => `${i === 0 ? "M" : "L"}${round2(p.x)} ${round2(p.y)}`).join("");
}

function round2(value: number): number {
  return Math.round(value * 100) / 100;
}
