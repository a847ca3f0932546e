/**
 * Reading a written number once a model has read every candidate digit (all of them in one
 * batch): for each group of ink, the split whose pieces the model reads most confidently.
 *
 * Pure TypeScript: the browser, the server and evaluation share it.
 *
 * @module
 */
import type { DigitReading, GroupPlan, NumberCandidates, Partition } from "./number_plan.ts";

/**
 * Log-confidence a reading loses per digit more or fewer than the group's width suggests:
 * a model reads half a 0 as a confident 1, so confidence alone over-splits.
 */
const COUNT_COST = 0.5;

/**
 * The number, given each candidate's probabilities (`[candidates, 10]` row-major): for each
 * group the reading with the best confidence (the product of each digit's top probability),
 * less the costs of cutting, then all groups left to right.
 */
export function readNumber(
  { candidates, plans }: NumberCandidates,
  probabilities: Float32Array,
): DigitReading[] {
  const reading = (index: number): DigitReading => {
    const row = probabilities.subarray(index * 10, index * 10 + 10);
    let result = 0;
    for (let d = 1; d < 10; d++) if (row[d] > row[result]) result = d;
    return { candidate: index, result, probabilities: row, box: candidates[index].box };
  };
  const confidence = (index: number) => {
    const { result, probabilities: row } = reading(index);
    return Math.log(Math.max(row[result], 1e-9));
  };
  return plans.flatMap((plan) => readGroup(plan, confidence).map(reading));
}

/**
 * A group's best reading: the split (by columns or by strokes) whose pieces the model reads
 * most confidently, less COUNT_COST for each digit more or fewer than its width suggests and
 * each boundary's cost.
 */
function readGroup(
  { expectedDigits, byColumns, byStrokes }: GroupPlan,
  confidence: (candidate: number) => number,
): number[] {
  const columns = bestSplit(byColumns, expectedDigits, confidence);
  if (byStrokes === null) return columns.path;
  const strokes = bestSplit(byStrokes, expectedDigits, confidence);
  return strokes.score > columns.score ? strokes.path : columns.path;
}

/** The best-scoring path through a partition's candidates, and its score. */
function bestSplit(
  { candidates: table, boundaryCosts }: Partition,
  expectedDigits: number,
  confidence: (candidate: number) => number,
): { score: number; path: number[] } {
  const last = table.length - 1;
  // best[j][k]: the best log-confidence of reading up to boundary j as k digits, and from where.
  const best = table.map(() => table.map(() => ({ score: -Infinity, from: -1 })));
  best[0][0].score = 0;
  for (let j = 1; j <= last; j++) {
    for (let i = 0; i < j; i++) {
      const index = table[i][j];
      if (index < 0) continue;
      const gain = confidence(index) - (i === 0 ? 0 : boundaryCosts[i]);
      for (let k = 0; k < j; k++) {
        if (best[i][k].score === -Infinity) continue;
        const score = best[i][k].score + gain;
        if (score > best[j][k + 1].score) best[j][k + 1] = { score, from: i };
      }
    }
  }
  let count = 0, top = -Infinity;
  for (let k = 1; k <= last; k++) {
    const score = best[last][k].score - COUNT_COST * Math.abs(k - expectedDigits);
    if (score > top) [top, count] = [score, k];
  }
  const path: number[] = [];
  for (let j = last, k = count; j > 0 && k > 0 && best[j][k].from >= 0; k--) {
    const from = best[j][k].from;
    path.unshift(table[from][j]);
    j = from;
  }
  return { score: top, path };
}
