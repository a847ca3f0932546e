/**
 * digitlab's metrics: HTTP requests by route and status, request latency, batch inference time
 * and size, the queue, the models served (with versions) and process memory. `GET /metrics`
 * renders them for Prometheus.
 *
 * @module
 */
import { Counter, Gauge, Histogram } from "./prometheus.ts";

/** Latency buckets in seconds: fine below 25 ms, where this service lives. */
const LATENCY_BUCKETS = [0.0005, 0.001, 0.002, 0.005, 0.01, 0.015, 0.025, 0.05, 0.1, 0.25, 1, 5];
const BATCH_BUCKETS = [1, 2, 4, 8, 16, 32, 64, 128, 256];

/** What the metrics read at scrape time. */
export interface MetricSources {
  /** Served models with their versions. */
  models(): { name: string; version: string; precision: string }[];
  /** Jobs waiting for an inference executor. */
  queued(): number;
}

export class ServiceMetrics {
  readonly requests = new Counter(
    "digitlab_http_requests_total",
    "HTTP requests answered, by route, method and status.",
  );
  readonly requestSeconds = new Histogram(
    "digitlab_http_request_duration_seconds",
    "Time from a request's arrival to its response, by route.",
    LATENCY_BUCKETS,
  );
  readonly inferenceSeconds = new Histogram(
    "digitlab_inference_batch_duration_seconds",
    "Time one batch took in an inference executor (decode, preprocessing and the model run).",
    LATENCY_BUCKETS,
  );
  readonly queueSeconds = new Histogram(
    "digitlab_inference_queue_duration_seconds",
    "Time a request waited in the dynamic batcher's queue for a free inference worker.",
    LATENCY_BUCKETS,
  );
  readonly batchSize = new Histogram(
    "digitlab_inference_batch_size",
    "Digits per inference batch (dynamic batching).",
    BATCH_BUCKETS,
  );
  readonly reloads = new Counter(
    "digitlab_model_reloads_total",
    "Model hot reloads, by model and outcome (ok or failed).",
  );
  readonly #gauges: Gauge[];

  constructor(sources: MetricSources) {
    this.#gauges = [
      new Gauge(
        "digitlab_model_loaded",
        "Models served (1 per name, version and precision: the float file or its int8 twin).",
        () =>
          sources.models().map(({ name, version, precision }) => ({
            labels: { name, version, precision },
            value: 1,
          })),
      ),
      new Gauge(
        "digitlab_inference_queue_length",
        "Jobs waiting for a free inference executor.",
        () => [{ value: sources.queued() }],
      ),
      new Gauge(
        "process_resident_memory_bytes",
        "Resident set size of the process in bytes.",
        () => [{ value: Deno.memoryUsage().rss }],
      ),
      new Gauge(
        "digitlab_js_heap_used_bytes",
        "JavaScript heap in use on the main thread, in bytes.",
        () => [{ value: Deno.memoryUsage().heapUsed }],
      ),
    ];
  }

  /** Records one batch (a BatchListener) and how long each of its jobs queued. */
  observeBatch(rows: number, ms: number, queueMs: readonly number[]): void {
    this.batchSize.observe(rows);
    this.inferenceSeconds.observe(ms / 1000);
    for (const wait of queueMs) this.queueSeconds.observe(wait / 1000);
  }

  /** Records one answered request. */
  observeRequest(route: string, method: string, status: number, ms: number): void {
    this.requests.inc({ route, method, status: String(status) });
    this.requestSeconds.observe(ms / 1000, { route });
  }

  /** Everything in Prometheus text format. */
  render(): string {
    return [
      this.requests,
      this.requestSeconds,
      this.inferenceSeconds,
      this.queueSeconds,
      this.batchSize,
      this.reloads,
      ...this.#gauges,
    ].map((metric) => metric.render()).join("");
  }
}
