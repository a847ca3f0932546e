/**
 * Saves trained tfjs weights (and the run's record) before export, so a failed
 * export never costs a training run: `--from-checkpoint` picks it up again.
 *
 * @module
 */
import * as tf from "@tensorflow/tfjs";
import type { EpochRecord } from "../lib/model_metadata.ts";
import { writeFileAtomic } from "./atomic_write.ts";

/** What the training run knew that the weights alone don't say. */
export interface RunRecord {
  name: string;
  history: EpochRecord[];
  trainingSeconds: number;
  trainCount: number;
  backend: string;
}

/** Writes model.json (topology + weight specs), weights.bin and run.json into `dir`. */
export async function saveCheckpoint(
  model: tf.LayersModel,
  dir: string,
  run: RunRecord,
): Promise<void> {
  await Deno.mkdir(dir, { recursive: true });
  await model.save(tf.io.withSaveHandler(async (artifacts) => {
    const weights = artifacts.weightData as ArrayBuffer;
    await writeFileAtomic(`${dir}/weights.bin`, new Uint8Array(weights));
    await writeFileAtomic(
      `${dir}/model.json`,
      JSON.stringify({
        modelTopology: artifacts.modelTopology,
        weightSpecs: artifacts.weightSpecs,
      }),
    );
    return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: "JSON" } };
  }));
  await writeFileAtomic(`${dir}/run.json`, JSON.stringify(run, null, 2));
}

/** Loads what saveCheckpoint wrote. */
export async function loadCheckpoint(
  dir: string,
): Promise<{ model: tf.LayersModel; run: RunRecord }> {
  const { modelTopology, weightSpecs } = JSON.parse(await Deno.readTextFile(`${dir}/model.json`));
  const weightData = (await Deno.readFile(`${dir}/weights.bin`)).slice().buffer;
  const model = await tf.loadLayersModel(
    tf.io.fromMemory({ modelTopology, weightSpecs, weightData }),
  );
  const run = JSON.parse(await Deno.readTextFile(`${dir}/run.json`)) as RunRecord;
  return { model, run };
}
