/** The draw page's "Show model information": what the chosen model is and how it was trained. */
import { formatCount, formatPercent, type ModelSummary } from "../web/browser/model_summary.ts";

export function ModelInfo({ model }: { model: ModelSummary }) {
  const minutes = model.trainingSeconds / 60;
  return (
    <details class="model-info">
      <summary>Model information</summary>
      <dl class="facts">
        <dt>Test accuracy</dt>
        <dd>{formatPercent(model.testAccuracy)}</dd>
        <dt>Runs as</dt>
        <dd>{model.precision === "int8" ? "int8 (quantized)" : "float32"}</dd>
        <dt>Parameters</dt>
        <dd>{formatCount(model.parameters)}</dd>
        <dt>Training</dt>
        <dd>
          {model.epochs} epochs, batch {model.batchSize}, {model.optimizer} (lr{" "}
          {model.learningRate}){model.augmentation ? ", augmented data" : ""}
        </dd>
        <dt>Trained in</dt>
        <dd>
          {minutes >= 1 ? `${minutes.toFixed(1)} min` : `${model.trainingSeconds.toFixed(0)} s`}
        </dd>
        <dt>Version</dt>
        <dd>{model.version}</dd>
      </dl>
      <p class="facts-title">Layers</p>
      <ol class="layers">
        {model.architecture.map((layer, i) => <li key={i}>{layer}</li>)}
      </ol>
      <p>
        <a href={`/models/${encodeURIComponent(model.name)}`}>Full model card →</a>
      </p>
    </details>
  );
}
