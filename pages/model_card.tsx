/**
 * The model card `/models/<name>`: how good the model is (overall, per digit, which digits
 * it confuses), how it learned (curves per epoch) and what it was trained on.
 */
import { Fragment } from "preact";
import type { ModelMetadata } from "../lib/model_metadata.ts";
import { ConfusionMatrix } from "../components/confusion_matrix.tsx";
import { Layout } from "../components/layout.tsx";
import { LayersTable } from "../components/layers_table.tsx";
import { LineChart } from "../components/line_chart.tsx";
import { formatCount, formatPercent, versionStamp } from "../web/browser/model_summary.ts";

export interface ModelCardProps {
  meta: ModelMetadata;
  modelNames: string[];
  /** URL of the augmented-sample sheet, when the model has one. */
  augmentationUrl: string | null;
}

export function ModelCardPage({ meta, modelNames, augmentationUrl }: ModelCardProps) {
  const hp = meta.hyperParameters;
  const history = meta.history ?? [];
  return (
    <Layout modelNames={modelNames} current={`/models/${encodeURIComponent(meta.name)}`}>
      <div class="intro">
        <p class="eyebrow">Model card</p>
        <h1>{meta.name}</h1>
        <p>
          Version <span title={meta.version}>{versionStamp(meta.version)}</span>, trained{" "}
          {meta.date.slice(0, 10)} in {(meta.trainingSeconds / 60).toFixed(1)} minutes.{" "}
          <a href={`/?model=${encodeURIComponent(meta.name)}`}>Try it on the draw page</a>
        </p>
      </div>

      <section class="card-grid">
        <div class="panel stat">
          <span class="stat-value" id="test-accuracy">{formatPercent(meta.testAccuracy)}</span>
          <span class="stat-label">
            float32 accuracy on the {formatCount(meta.data.testCount)} MNIST test digits
          </span>
        </div>
        <div class="panel stat">
          <span class="stat-value">{formatCount(meta.parameters)}</span>
          <span class="stat-label">parameters</span>
        </div>
        <div class="panel stat">
          <span class="stat-value">
            {formatCount(Math.round((1 - meta.testAccuracy) * meta.data.testCount))}
          </span>
          <span class="stat-label">test digits it gets wrong</span>
        </div>
      </section>
      {meta.precision === "int8" && meta.int8 && (
        <p class="muted" id="int8-note">
          This server runs its int8 twin ({meta.int8.file}): {formatPercent(meta.int8.testAccuracy)}
          {" "}
          on the same test digits, the same answer as the float model on{" "}
          {formatPercent(meta.int8.agreementWithFloat)}{" "}
          of them. The figures below are the float model's.
        </p>
      )}

      <section class="panel" aria-labelledby="per-class-title">
        <h2 id="per-class-title">Accuracy per digit</h2>
        <PerClassTable meta={meta} />
      </section>

      <section class="panel" aria-labelledby="confusion-heading">
        <h2 id="confusion-heading">Confusion matrix</h2>
        <p class="muted">
          Rows are the true digit, columns what the model answered. Blue: correct, shaded by the
          share of that digit; orange: mistakes, shaded against the most common mistake.
        </p>
        <div class="scroll-x">
          <ConfusionMatrix matrix={meta.confusionMatrix} />
        </div>
      </section>

      <section class="panel" aria-labelledby="curves-title">
        <h2 id="curves-title">Training curves</h2>
        <div class="charts">
          <LineChart
            title="Training loss"
            xLabel="epoch"
            points={history.map((r) => ({ x: r.epoch, y: r.loss }))}
            formatY={(v) => String(Number(v.toPrecision(3)))}
          />
          <LineChart
            title="Test accuracy after each epoch"
            xLabel="epoch"
            tone="tone-2"
            points={history.map((r) => ({ x: r.epoch, y: r.accuracy }))}
            formatY={(v) => `${(v * 100).toFixed(1)}%`}
          />
        </div>
      </section>

      {augmentationUrl && (
        <section class="panel" aria-labelledby="augmentation-title">
          <h2 id="augmentation-title">Augmented training samples</h2>
          <p class="muted">
            Examples of the randomly shifted, rotated and scaled digits this model trained on.
          </p>
          <img
            class="sheet"
            src={augmentationUrl}
            alt={`A grid of augmented MNIST training digits for ${meta.name}`}
          />
        </section>
      )}

      <section class="panel" aria-labelledby="details-title">
        <h2 id="details-title">How it was trained</h2>
        <div class="details-grid">
          <dl class="facts">
            <dt>Epochs</dt>
            <dd>{hp.epochs}</dd>
            <dt>Batch size</dt>
            <dd>{hp.batchSize}</dd>
            <dt>Optimiser</dt>
            <dd>{hp.optimizer}, learning rate {hp.learningRate} ({hp.schedule})</dd>
            <dt>Loss</dt>
            <dd>{hp.loss}</dd>
            <dt>Augmentation</dt>
            <dd>{hp.augmentation ? "yes" : "no"}</dd>
            <dt>Training data</dt>
            <dd>
              {formatCount(meta.data.trainCount)}{" "}
              digits{hp.limit !== null ? ` (limit ${hp.limit})` : ""}
            </dd>
            <dt>Seed</dt>
            <dd>{meta.seed}</dd>
            <dt>ONNX opset</dt>
            <dd>{meta.opset}</dd>
            {Object.entries(meta.tools ?? {}).map(([tool, version]) => (
              <Fragment key={tool}>
                <dt>{tool}</dt>
                <dd>{version}</dd>
              </Fragment>
            ))}
          </dl>
          <div>
            <LayersTable architecture={meta.architecture} parameters={meta.parameters} />
          </div>
        </div>
      </section>
    </Layout>
  );
}

function PerClassTable({ meta }: { meta: ModelMetadata }) {
  const rows = meta.perClassAccuracy.map((accuracy, digit) => {
    const row = meta.confusionMatrix[digit] ?? [];
    const support = row.reduce((a, b) => a + b, 0);
    return { digit, accuracy, support, errors: support - (row[digit] ?? 0) };
  });
  const worstError = Math.max(1e-9, ...rows.map((r) => 1 - r.accuracy));
  return (
    <table class="per-class">
      <thead>
        <tr>
          <th scope="col">Digit</th>
          <th scope="col">Accuracy</th>
          <th scope="col">Wrong</th>
          <th scope="col">Errors, against the worst digit</th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.digit}>
            <th scope="row">{r.digit}</th>
            <td>{formatPercent(r.accuracy)}</td>
            <td>
              {r.errors} of {formatCount(r.support)}
            </td>
            <td>
              <svg
                class="error-bar"
                viewBox="0 0 100 10"
                preserveAspectRatio="none"
                aria-hidden="true"
              >
                <rect width={100} height={10} class="error-track" />
                <rect
                  width={(100 * (1 - r.accuracy)) / worstError}
                  height={10}
                  class="error-fill"
                />
              </svg>
            </td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
