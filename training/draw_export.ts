/**
 * What `draw`'s metadata adds at export: every data set with its checksum and credit, the
 * held-out writers' accuracy (overall, per digit, per size and place) and the temperature
 * fitted on them, which the server applies. Scored on the file the server runs (the int8
 * twin when there is one).
 *
 * @module
 */
import type { Calibration, HeldOutAccuracy, ModelMetadata } from "../lib/model_metadata.ts";
import { drawDataSets } from "./draw_data.ts";
import { heldOutLines, renderHeldOut, scoreHeldOut } from "./held_out.ts";
import type { Mnist } from "./mnist_data.ts";
import { HELD_OUT_WRITERS, loadPendigits, splitByWriter } from "./pendigits.ts";

export interface DrawExportInputs {
  mnist: Mnist;
  mnistCount: number;
  pendigitsDir?: string;
  /** Share of the training set that was scribbles (negativesFor); default 0. */
  negatives?: number;
  /** The file the server runs and its name. */
  served: { file: string; bytes: Uint8Array };
  normalisation: ModelMetadata["input"]["normalisation"];
  log?: (line: string) => void;
}

const round = (value: number, digits = 6) => Number(value.toFixed(digits));

export async function drawMetadata(
  inputs: DrawExportInputs,
): Promise<Pick<ModelMetadata, "dataSets" | "calibration" | "heldOut">> {
  const log = inputs.log ?? console.log;
  const pendigits = inputs.pendigitsDir ? await loadPendigits(inputs.pendigitsDir) : null;
  const dataSets = drawDataSets(inputs.mnist, inputs.mnistCount, pendigits, inputs.negatives);
  if (!pendigits) {
    log("draw: no pendigits data, so no held-out writers' accuracy and no calibration");
    return { dataSets };
  }
  const { heldOut: digits } = splitByWriter(pendigits.digits);
  const report = await scoreHeldOut(
    inputs.served.bytes,
    renderHeldOut(digits),
    inputs.normalisation,
  );
  for (const line of heldOutLines(report)) log(`draw (${inputs.served.file}) ${line}`);
  const heldOut: HeldOutAccuracy = {
    writers: [...HELD_OUT_WRITERS],
    count: report.overall.count,
    accuracy: round(report.overall.accuracy),
    perClassAccuracy: report.overall.perClassAccuracy.map((a) => round(a)),
    byPlacement: report.byPlacement.map((p) => ({ ...p, accuracy: round(p.accuracy) })),
    confusionMatrix: report.overall.confusionMatrix,
    file: inputs.served.file,
  };
  const calibration: Calibration = {
    method: "temperature",
    temperature: round(report.temperature, 4),
    eceBefore: round(report.eceBefore),
    eceAfter: round(report.eceAfter),
    data: `${digits.length} digits of held-out pendigits writers ${HELD_OUT_WRITERS.join(", ")}, ` +
      `each drawn at three sizes and places; ${inputs.served.file}`,
  };
  return { dataSets, calibration, heldOut };
}
