/**
 * Which model answers: one option per served model, by name. Accuracies stay in the model
 * information below, each labelled with its precision; a bare figure here was a third one.
 */
import type { ModelSummary } from "../web/browser/model_summary.ts";

export interface ModelPickerProps {
  models: ModelSummary[];
  value: string;
  onChange(name: string): void;
}

export function ModelPicker({ models, value, onChange }: ModelPickerProps) {
  return (
    <label class="picker">
      <span>Model</span>
      <select
        id="model"
        value={value}
        onChange={(event) => onChange(event.currentTarget.value)}
      >
        {models.map((m) => (
          <option key={m.name} value={m.name}>
            {m.name}
          </option>
        ))}
      </select>
    </label>
  );
}
