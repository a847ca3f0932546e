/** The draw page's "Model information": what the chosen model is and how it was trained. */
import type { Precision } from "../lib/model_metadata.ts";
import { LayersTable } from "./layers_table.tsx";
import {
  formatCount,
  formatPercent,
  type ModelSummary,
  precisionLabel,
  versionStamp,
} from "../web/browser/model_summary.ts";

export function ModelInfo({ model }: { model: ModelSummary }) {
  const minutes = model.trainingSeconds / 60;
  return (
    <details class="model-info">
      <summary>Model information</summary>
      <dl class="facts">
        <dt>Runs as</dt>
        <dd>{model.precision === "int8" ? "int8 (quantized twin)" : "float32"}</dd>
        <dt>Test accuracy</dt>
        <dd>
          <AccuracyByPrecision model={model} />
        </dd>
        <dt>Parameters</dt>
        <dd>{formatCount(model.parameters)}</dd>
        <dt>Training</dt>
        <dd>
          {model.epochs} epochs, batch {model.batchSize}, {model.optimizer} (learning rate{" "}
          {model.learningRate}){model.augmentation ? ", augmented data" : ""}
        </dd>
        <dt>Trained in</dt>
        <dd>
          {minutes >= 1 ? `${minutes.toFixed(1)} min` : `${model.trainingSeconds.toFixed(0)} s`}
        </dd>
        <dt>Version</dt>
        <dd title={model.version}>{versionStamp(model.version)}</dd>
      </dl>
      <LayersTable architecture={model.architecture} parameters={model.parameters} />
      <p>
        <a href={`/models/${encodeURIComponent(model.name)}`}>Full model card →</a>
      </p>
    </details>
  );
}

/** Each file's own MNIST test accuracy, the one served first: no unlabelled second figure. */
function AccuracyByPrecision({ model }: { model: ModelSummary }) {
  const rows: { precision: Precision; accuracy: number }[] = [
    { precision: "fp32", accuracy: model.floatAccuracy },
  ];
  if (model.int8Accuracy !== null) rows.push({ precision: "int8", accuracy: model.int8Accuracy });
  // The served file first.
  if (rows[0].precision !== model.precision) rows.reverse();
  return (
    <ul class="accuracies">
      {rows.map((row) => (
        <li key={row.precision}>
          {formatPercent(row.accuracy)} {precisionLabel(row.precision)}
          {row.precision === model.precision && rows.length > 1 ? " (served)" : ""}
        </li>
      ))}
    </ul>
  );
}
