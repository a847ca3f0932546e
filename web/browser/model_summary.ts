/**
 * The part of a model's metadata the draw page needs: small enough to serialise into the
 * page as island props (the confusion matrix and history stay on the model card).
 *
 * @module
 */
import { listingOf, type ModelListing, type ModelMetadata } from "../../lib/model_metadata.ts";

export interface ModelSummary extends ModelListing {
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
