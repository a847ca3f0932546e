/**
 * Assembles the metadata JSON written beside each exported model.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import * as ort from "onnxruntime-web";
import {
  MODEL_IO,
  type ModelMetadata,
  type ModelName,
  type TeacherRecord,
} from "../lib/model_metadata.ts";
import {
  averageLastFor,
  averageRateFor,
  describeLayers,
  usesAugmentation,
  widthFor,
} from "./architectures.ts";
import type { RunRecord } from "./checkpoint.ts";
import type { Evaluation } from "./evaluate.ts";
import { ONNX_OPSET } from "./onnx_export.ts";

export interface MetadataInputs {
  name: ModelName;
  model: tf.LayersModel;
  run: RunRecord;
  evaluation: Evaluation;
  dataSha256: Record<string, string>;
  testCount: number;
  augmentationSheet?: string;
  /** The teacher the run learnt from (distillation.ts teacherRecord), if any. */
  teacher?: TeacherRecord | null;
}

const round = (value: number, digits = 6) => Number(value.toFixed(digits));

/** A version string that changes whenever the model does: date plus accuracy. */
function versionOf(date: Date, accuracy: number): string {
  const stamp = date.toISOString().slice(0, 19).replace(/[-:]/g, "").replace("T", ".");
  return `${stamp}-${(accuracy * 100).toFixed(2)}`;
}

export function buildMetadata(inputs: MetadataInputs): ModelMetadata {
  const { name, model, run, evaluation } = inputs;
  // The run's own recipe (from its checkpoint), never the flags of the command that exports it.
  const recipe = run.recipe;
  const averageLast = averageLastFor(name, recipe.averageLast);
  const averageLearningRate = averageRateFor(name, recipe.averageLearningRate);
  const width = widthFor(name, recipe.width);
  const date = new Date();
  return {
    name,
    version: versionOf(date, evaluation.accuracy),
    architecture: describeLayers(model),
    parameters: model.countParams(),
    ...MODEL_IO,
    opset: ONNX_OPSET,
    testAccuracy: round(evaluation.accuracy),
    perClassAccuracy: evaluation.perClassAccuracy.map((a) => round(a)),
    confusionMatrix: evaluation.confusionMatrix,
    history: run.history.map((r) => ({
      ...r,
      loss: round(r.loss),
      ...(r.accuracy === undefined ? {} : { accuracy: round(r.accuracy) }),
      ...(r.averageAccuracy === undefined ? {} : { averageAccuracy: round(r.averageAccuracy) }),
      seconds: round(r.seconds, 2),
      learningRate: round(r.learningRate, 8),
    })),
    hyperParameters: {
      epochs: run.history.length,
      batchSize: recipe.batchSize,
      learningRate: recipe.learningRate,
      schedule: recipe.schedule,
      optimizer: "adam",
      loss: "softmax cross-entropy",
      augmentation: usesAugmentation(name),
      limit: recipe.limit,
      ...(recipe.evalEvery === 1 ? {} : { evalEvery: recipe.evalEvery }),
      ...(averageLast === 1 ? {} : { averageLast }),
      ...(averageLast === 1 || averageLearningRate === null ? {} : { averageLearningRate }),
      ...(width === 1 ? {} : { width }),
      ...(inputs.teacher ? { teacher: inputs.teacher } : {}),
    },
    seed: recipe.seed,
    trainingSeconds: round(run.trainingSeconds, 1),
    date: date.toISOString(),
    data: { trainCount: run.trainCount, testCount: inputs.testCount, sha256: inputs.dataSha256 },
    tools: {
      deno: Deno.version.deno,
      tfjs: tf.version.tfjs,
      tfjsBackend: run.backend,
      onnxruntimeWeb: ort.env.versions.web ?? "unknown",
    },
    ...(inputs.augmentationSheet ? { augmentationSheet: inputs.augmentationSheet } : {}),
  };
}
