/**
 * The confusion matrix as a heat map. Correct answers (the diagonal) and mistakes use two
 * hues: on one shared scale the diagonal's thousands would wash out the handful of mistakes
 * that are the interesting part, so mistakes are shaded against the largest mistake.
 */
import { formatCount } from "../web/browser/model_summary.ts";

const CELL = 44;
const AXIS = 34;

export interface ConfusionMatrixProps {
  /** matrix[trueDigit][predictedDigit] = count */
  matrix: number[][];
}

export function ConfusionMatrix({ matrix }: ConfusionMatrixProps) {
  const n = matrix.length;
  const rowTotals = matrix.map((row) => row.reduce((a, b) => a + b, 0));
  const largestMistake = Math.max(
    1,
    ...matrix.flatMap((row, t) => row.filter((_, p) => p !== t)),
  );
  const side = AXIS + n * CELL;
  return (
    <svg
      class="confusion"
      viewBox={`-20 -20 ${side + 24} ${side + 24}`}
      role="img"
      aria-labelledby="confusion-title"
    >
      <title id="confusion-title">
        Confusion matrix: rows are the true digit, columns the predicted digit
      </title>
      <text class="axis-title" x={AXIS + (n * CELL) / 2} y={-6} text-anchor="middle">
        predicted
      </text>
      <text
        class="axis-title"
        transform={`translate(-6 ${AXIS + (n * CELL) / 2}) rotate(-90)`}
        text-anchor="middle"
      >
        true
      </text>
      {matrix.map((_, d) => (
        <g key={`labels-${d}`} class="axis-label">
          <text x={AXIS + d * CELL + CELL / 2} y={AXIS - 10} text-anchor="middle">{d}</text>
          <text x={AXIS - 10} y={AXIS + d * CELL + CELL / 2 + 5} text-anchor="end">{d}</text>
        </g>
      ))}
      {matrix.map((row, t) =>
        row.map((count, p) => {
          const share = rowTotals[t] === 0 ? 0 : count / rowTotals[t];
          const hit = t === p;
          const intensity = hit ? share : Math.sqrt(count / largestMistake) * 0.85;
          const x = AXIS + p * CELL, y = AXIS + t * CELL;
          return (
            <g key={`${t}-${p}`}>
              <rect
                x={x + 1}
                y={y + 1}
                width={CELL - 2}
                height={CELL - 2}
                rx={3}
                class={count === 0 ? "cm-zero" : hit ? "cm-hit" : "cm-miss"}
                fill-opacity={count === 0 ? undefined : Math.max(0.12, intensity).toFixed(3)}
              >
                <title>
                  true {t}, predicted {p}: {formatCount(count)} ({(share * 100).toFixed(1)}%)
                </title>
              </rect>
              {count > 0 && (
                <text
                  x={x + CELL / 2}
                  y={y + CELL / 2 + 4}
                  text-anchor="middle"
                  class={intensity > 0.55 ? "cm-count cm-count-strong" : "cm-count"}
                >
                  {count}
                </text>
              )}
            </g>
          );
        })
      )}
    </svg>
  );
}
