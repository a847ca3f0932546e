/**
 * The part of a model's metadata the draw page needs: small enough to serialise into the
 * page as island props (the confusion matrix and history stay on the model card).
 *
 * @module
 */
import {
  listingOf,
  type ModelListing,
  type ModelMetadata,
  type Precision,
} from "../../lib/model_metadata.ts";

export interface ModelSummary extends ModelListing {
  /** MNIST test accuracy of the float model, whichever file is served. */
  floatAccuracy: number;
  /** The int8 twin's, when the model has one. */
  int8Accuracy: number | null;
  epochs: number;
  batchSize: number;
  optimizer: string;
  learningRate: number;
  augmentation: boolean;
  trainingSeconds: number;
  date: string;
}

export function summariseModel(meta: ModelMetadata): ModelSummary {
  return {
    ...listingOf(meta),
    floatAccuracy: meta.testAccuracy,
    int8Accuracy: meta.int8?.testAccuracy ?? null,
    epochs: meta.hyperParameters.epochs,
    batchSize: meta.hyperParameters.batchSize,
    optimizer: meta.hyperParameters.optimizer,
    learningRate: meta.hyperParameters.learningRate,
    augmentation: meta.hyperParameters.augmentation,
    trainingSeconds: meta.trainingSeconds,
    date: meta.date,
  };
}

/** "99.12%" for 0.99123; accuracies in the metadata are fractions. */
export function formatPercent(fraction: number, digits = 2): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** "1,234,567" without pulling Intl formatting rules that vary between server and browser. */
export function formatCount(count: number): string {
  return String(Math.round(count)).replace(/\B(?=(\d{3})+(?!\d))/g, ",");
}

/** How a person reads a precision: "int8" for the quantized twin, "float32" for the original. */
export function precisionLabel(precision: Precision): string {
  return precision === "int8" ? "int8" : "float32";
}

/**
 * A model's version without the accuracy training appends to it ("20261126.063252-99.54"
 * reads "20261126.063252"): the accuracy is shown, labelled, beside it.
 */
export function versionStamp(version: string): string {
  return version.replace(/-\d+(?:\.\d+)?$/, "");
}

/** One row of the layers table, from training's "Conv2D -> [N,28,28,32] (288 params)". */
export interface LayerRow {
  kind: string;
  /** The output shape of one image ("28 × 28 × 32"), without the batch dimension. */
  output: string;
  parameters: number | null;
}

const LAYER = /^(.+?)\s*->\s*\[([^\]]*)\](?:\s*\((\d+) params?\))?$/;

/** Splits an architecture line into its columns; an unknown format stays whole in `kind`. */
export function layerRow(line: string): LayerRow {
  const match = LAYER.exec(line.trim());
  if (match === null) return { kind: line, output: "", parameters: null };
  const dims = match[2].split(",").map((d) => d.trim()).filter((d) => d !== "" && d !== "N");
  return {
    kind: match[1],
    output: dims.join(" × "),
    parameters: match[3] === undefined ? null : Number(match[3]),
  };
}
