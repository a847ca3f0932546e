/** A small server-rendered SVG line chart: one series over epochs, axes with round ticks. */
import { linearScale, linePath, niceTicks } from "../web/browser/chart_scale.ts";

export interface LineChartProps {
  title: string;
  points: { x: number; y: number }[];
  xLabel: string;
  formatY(value: number): string;
  /** Extra class for the series colour. */
  tone?: string;
}

const WIDTH = 360, HEIGHT = 220;
const MARGIN = { top: 14, right: 16, bottom: 40, left: 56 };

export function LineChart({ title, points, xLabel, formatY, tone = "" }: LineChartProps) {
  if (points.length === 0) return <p class="muted">No {title.toLowerCase()} recorded.</p>;
  const xs = points.map((p) => p.x), ys = points.map((p) => p.y);
  const xTicks = integerTicks(Math.min(...xs), Math.max(...xs));
  const yNice = niceTicks(Math.min(...ys), Math.max(...ys), 4);
  const x = linearScale(
    [xTicks[0], xTicks[xTicks.length - 1]],
    [MARGIN.left, WIDTH - MARGIN.right],
  );
  const y = linearScale(yNice.domain, [HEIGHT - MARGIN.bottom, MARGIN.top]);
  const plotted = points.map((p) => ({ x: x(p.x), y: y(p.y) }));
  const id = `chart-${title.toLowerCase().replace(/[^a-z0-9]+/g, "-")}`;
  return (
    <figure class="chart">
      <figcaption id={id}>{title}</figcaption>
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} role="img" aria-labelledby={id}>
        {yNice.ticks.map((tick) => (
          <g key={`y${tick}`} class="grid">
            <line x1={MARGIN.left} x2={WIDTH - MARGIN.right} y1={y(tick)} y2={y(tick)} />
            <text x={MARGIN.left - 8} y={y(tick) + 4} text-anchor="end">{formatY(tick)}</text>
          </g>
        ))}
        {xTicks.map((tick) => (
          <text
            key={`x${tick}`}
            class="tick"
            x={x(tick)}
            y={HEIGHT - MARGIN.bottom + 18}
            text-anchor="middle"
          >
            {tick}
          </text>
        ))}
        <text class="axis-title" x={(MARGIN.left + WIDTH - MARGIN.right) / 2} y={HEIGHT - 6}>
          {xLabel}
        </text>
        <path class={`series ${tone}`} d={linePath(plotted)} />
        {plotted.map((p, i) => (
          <circle key={i} class={`point ${tone}`} cx={p.x} cy={p.y} r={3.5}>
            <title>{`${xLabel} ${points[i].x}: ${formatY(points[i].y)}`}</title>
          </circle>
        ))}
      </svg>
    </figure>
  );
}

/** Whole-number ticks (epochs), at most about eight of them. */
export function integerTicks(min: number, max: number): number[] {
  if (min === max) return [min - 1, min, min + 1].filter((t) => t >= 0);
  const step = Math.max(1, Math.ceil((max - min) / 8));
  const ticks: number[] = [];
  for (let t = min; t < max; t += step) ticks.push(t);
  ticks.push(max);
  return ticks;
}
