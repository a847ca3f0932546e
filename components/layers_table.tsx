/** A model's layers as a table: kind, output shape of one image, parameters (grouped digits). */
import { formatCount, layerRow } from "../web/browser/model_summary.ts";

export interface LayersTableProps {
  /** Training's lines, "Conv2D -> [N,28,28,32] (288 params)". */
  architecture: string[];
  /** The model's total, shown as the last row. */
  parameters: number;
}

export function LayersTable({ architecture, parameters }: LayersTableProps) {
  return (
    <table class="layers">
      <caption>Layers</caption>
      <thead>
        <tr>
          <th scope="col">Layer</th>
          <th scope="col">Output</th>
          <th scope="col" class="num">Parameters</th>
        </tr>
      </thead>
      <tbody>
        {architecture.map(layerRow).map((layer, i) => (
          <tr key={i}>
            <td>{layer.kind}</td>
            <td>{layer.output}</td>
            <td class="num">
              {layer.parameters === null || layer.parameters === 0
                ? "–"
                : formatCount(layer.parameters)}
            </td>
          </tr>
        ))}
      </tbody>
      <tfoot>
        <tr>
          <th scope="row" colSpan={2}>Total</th>
          <td class="num">{formatCount(parameters)}</td>
        </tr>
      </tfoot>
    </table>
  );
}
