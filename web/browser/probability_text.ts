/**
 * Probabilities as people read them: one decimal, but never "100.0%" for an answer that is
 * not certain, nor "0.0%" for one that is merely unlikely.
 *
 * @module
 */

/** "87.3%", ">99.9%" or "<0.1%" for a probability in 0..1. */
export function formatProbability(p: number): string {
  if (p > 0.999) return ">99.9%";
  if (p < 0.001) return "<0.1%";
  return `${(p * 100).toFixed(1)}%`;
}

/** What the page shows for an answer the server is not confident about: "not sure: 7 or 2?" */
export function unsureText(result: number, runnerUp: number): string {
  return `not sure: ${result} or ${runnerUp}?`;
}
