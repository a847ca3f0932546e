/**
 * The precision of every number we report in milliseconds, and of the field in `/predict`'s
 * answer: three decimals (microseconds; plenty to draw the field).
 *
 * @module
 */
export function threeDecimals(value: number): number {
  return Math.round(value * 1000) / 1000;
}
