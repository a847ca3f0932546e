/**
 * `deno task train --average-last/--average-lr` end to end on a tiny subset: the export is the
 * mean of the last epochs' weights, and an interrupted run resumes its sums exactly.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import type { ModelMetadata } from "../lib/model_metadata.ts";
import { projectTest, runTrain } from "./train_fixture.ts";

projectTest(
  "--average-last exports the mean of the last epochs' weights and --resume keeps its sums",
  async (project) => {
    const args = [
      ...["--model", "cnn-aug", "--epochs", "3", "--average-last", "2", "--average-lr", "5e-4"],
      "--limit",
      "200",
      "--eval-limit",
      "200",
    ];
    const whole = `${project.root}/whole`, resumed = `${project.root}/resumed`;
    const straight = await runTrain([...args, "--out", whole], project);
    deepStrictEqual(straight.code, 0, straight.err);
    assert(straight.out.includes("mean of the last 2 epochs' weights"), straight.out);

    // Stopped after epoch 2, the first epoch in the sums.
    let saved = 0;
    const interrupted = await runTrain([...args, "--out", resumed], {
      ...project,
      hooks: {
        step: (_, step) => {
          if (step === "checkpoint saved" && ++saved === 2) throw new Error("Ctrl-C");
        },
      },
    }).catch((error) => ({ code: -1, out: "", err: String(error) }));
    assert(interrupted.err.includes("Ctrl-C"), interrupted.err);
    const finished = await runTrain(["--resume", resumed], project);
    deepStrictEqual(finished.code, 0, finished.err);
    const bin = (dir: string) => Deno.readFile(`${dir}/checkpoints/cnn-aug/epoch-3.bin`);
    deepStrictEqual(await bin(resumed), await bin(whole));

    const metadata = async (dir: string) =>
      JSON.parse(await Deno.readTextFile(`${dir}/cnn-aug.json`)) as ModelMetadata;
    const [a, b] = [await metadata(whole), await metadata(resumed)];
    deepStrictEqual(a.hyperParameters.averageLast, 2);
    deepStrictEqual(a.hyperParameters.averageLearningRate, 5e-4);
    // The schedule spans epoch 1 alone; the averaged epochs run at the constant rate.
    deepStrictEqual(a.history.map((r) => r.learningRate), [1e-3, 5e-4, 5e-4]);
    deepStrictEqual(a.history.map((r) => r.averageAccuracy !== undefined), [false, false, true]);
    deepStrictEqual(
      b.history.map((r) => r.averageAccuracy),
      a.history.map((r) => r.averageAccuracy),
    );
    // The exported file is the mean: its test pass scores what the last epoch's mean scored.
    deepStrictEqual(a.testAccuracy, a.history[2].averageAccuracy);
    deepStrictEqual(b.testAccuracy, a.testAccuracy);
  },
);
