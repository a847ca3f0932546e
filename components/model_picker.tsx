/** Which model answers: one option per served model, with the accuracy of the file it runs. */
import { formatPercent, type ModelSummary, precisionLabel } from "../web/model_summary.ts";

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
            {m.name}, {formatPercent(m.testAccuracy)} ({precisionLabel(m.precision)})
          </option>
        ))}
      </select>
    </label>
  );
}
