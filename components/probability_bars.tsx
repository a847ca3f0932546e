/**
 * The ten class probabilities as a bar chart. Each row is readable on its own (digit and
 * percentage as text, the bar is decoration), so screen readers get the numbers.
 */
import { formatProbability } from "../web/browser/probability_text.ts";

export interface ProbabilityBarsProps {
  /** Ten probabilities, or null before the first prediction. */
  probabilities: number[] | null;
  predicted: number | null;
}

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

export function ProbabilityBars({ probabilities, predicted }: ProbabilityBarsProps) {
  return (
    <ol class="bars" aria-label="Probability of each digit">
      {DIGITS.map((digit) => {
        const p = probabilities?.[digit] ?? 0;
        const percent = formatProbability(p);
        return (
          <li
            key={digit}
            class={digit === predicted ? "bar bar-top" : "bar"}
            aria-label={probabilities ? `${digit}: ${percent}` : `${digit}: no prediction`}
          >
            <span class="bar-digit" aria-hidden="true">{digit}</span>
            <span class="bar-track" aria-hidden="true">
              {/* No style in server HTML: the CSP forbids inline style attributes. */}
              <span
                class="bar-fill"
                // A custom property, so the stylesheet decides the bar's direction.
                style={probabilities ? { "--p": String(p) } as Record<string, string> : undefined}
              />
            </span>
            <span class="bar-value" aria-hidden="true">{probabilities ? percent : "–"}</span>
          </li>
        );
      })}
    </ol>
  );
}
