/**
 * The few Prometheus metric kinds the service needs (counter, histogram, gauge), each keeping
 * its series by label values and rendering itself in the text exposition format (0.0.4).
 *
 * @module
 */

export type Labels = Record<string, string>;

/** `name{a="1",b="2"}` with the label values escaped as the format requires. */
function series(name: string, labels: Labels): string {
  const pairs = Object.entries(labels).map(([key, value]) =>
    `${key}="${value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"')}"`
  );
  return pairs.length ? `${name}{${pairs.join(",")}}` : name;
}

function header(name: string, help: string, type: string): string {
  return `# HELP ${name} ${help}\n# TYPE ${name} ${type}\n`;
}

/** Label values joined into a map key (label order is fixed per metric). */
const keyOf = (labels: Labels) => JSON.stringify(labels);

/** A count that only goes up, per label set. */
export class Counter {
  readonly #values = new Map<string, { labels: Labels; value: number }>();

  constructor(readonly name: string, readonly help: string) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = keyOf(labels);
    const entry = this.#values.get(key);
    if (entry) entry.value += by;
    else this.#values.set(key, { labels, value: by });
  }

  get(labels: Labels = {}): number {
    return this.#values.get(keyOf(labels))?.value ?? 0;
  }

  render(): string {
    let text = header(this.name, this.help, "counter");
    for (const { labels, value } of this.#values.values()) {
      text += `${series(this.name, labels)} ${value}\n`;
    }
    return text;
  }
}

interface HistogramSeries {
  labels: Labels;
  counts: number[];
  sum: number;
  count: number;
}

/** Observations counted into cumulative buckets (`le`), per label set. */
export class Histogram {
  readonly #series = new Map<string, HistogramSeries>();

  constructor(readonly name: string, readonly help: string, readonly buckets: number[]) {}

  observe(value: number, labels: Labels = {}): void {
    const key = keyOf(labels);
    let entry = this.#series.get(key);
    if (!entry) {
      entry = { labels, counts: this.buckets.map(() => 0), sum: 0, count: 0 };
      this.#series.set(key, entry);
    }
    // Buckets are few (about ten): a linear scan beats anything cleverer.
    for (let i = 0; i < this.buckets.length; i++) if (value <= this.buckets[i]) entry.counts[i]++;
    entry.sum += value;
    entry.count++;
  }

  /** Observations so far for `labels`. */
  count(labels: Labels = {}): number {
    return this.#series.get(keyOf(labels))?.count ?? 0;
  }

  render(): string {
    let text = header(this.name, this.help, "histogram");
    for (const { labels, counts, sum, count } of this.#series.values()) {
      this.buckets.forEach((bound, i) => {
        text += `${series(`${this.name}_bucket`, { ...labels, le: String(bound) })} ${counts[i]}\n`;
      });
      text += `${series(`${this.name}_bucket`, { ...labels, le: "+Inf" })} ${count}\n`;
      text += `${series(`${this.name}_sum`, labels)} ${sum}\n`;
      text += `${series(`${this.name}_count`, labels)} ${count}\n`;
    }
    return text;
  }
}

/** A value read when scraped, per label set. */
export class Gauge {
  constructor(
    readonly name: string,
    readonly help: string,
    readonly read: () => { labels?: Labels; value: number }[],
  ) {}

  render(): string {
    let text = header(this.name, this.help, "gauge");
    for (const { labels = {}, value } of this.read()) {
      text += `${series(this.name, labels)} ${value}\n`;
    }
    return text;
  }
}

/** The content type Prometheus expects for this format. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";
