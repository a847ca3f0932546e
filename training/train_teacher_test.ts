/**
 * `deno task train --teacher` end to end on a tiny subset: the run learns from the teacher (its
 * weights differ from the same run without), says so, and its metadata names the teacher by
 * checksum; a teacher that cannot be read is a one-line error, not a crash.
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import type { ModelMetadata } from "../lib/model_metadata.ts";
import { sha256Hex } from "./mnist_files.ts";
import { projectTest, runTrain } from "./train_fixture.ts";

const TEACHER = decodeURIComponent(new URL("../models/cnn.int8.onnx", import.meta.url).pathname);

projectTest("--teacher: the run learns from it and its metadata names it", async (project) => {
  const args = ["--model", "mlp", "--epochs", "1", "--limit", "300", "--eval-limit", "200"];
  const taught = `${project.root}/taught`, alone = `${project.root}/alone`;
  const withTeacher = await runTrain(
    [...args, "--teacher", TEACHER, "--teacher-weight", "0.8", "--out", taught],
    project,
  );
  deepStrictEqual(withTeacher.code, 0, withTeacher.err);
  assert(withTeacher.out.includes(`learning from ${TEACHER} too`), withTeacher.out);
  assert(withTeacher.out.includes(`--teacher ${TEACHER} --teacher-weight 0.8`), withTeacher.out);
  const without = await runTrain([...args, "--out", alone], project);
  deepStrictEqual(without.code, 0, without.err);

  const metadata = async (dir: string) =>
    JSON.parse(await Deno.readTextFile(`${dir}/mlp.json`)) as ModelMetadata;
  deepStrictEqual((await metadata(taught)).hyperParameters.teacher, {
    file: "cnn.int8.onnx",
    sha256: await sha256Hex(await Deno.readFile(TEACHER)),
    weight: 0.8,
    temperature: 4,
  });
  deepStrictEqual((await metadata(alone)).hyperParameters.teacher, undefined);
  const weights = (dir: string) => Deno.readFile(`${dir}/checkpoints/mlp/epoch-1.bin`);
  assert.notDeepStrictEqual(await weights(taught), await weights(alone));

  const missing = await runTrain(
    [...args, "--teacher", `${project.root}/none.onnx`, "--out", `${project.root}/missing`],
    project,
  );
  deepStrictEqual(missing.code, 1, missing.out);
  assert(/^error: .*none\.onnx/.test(missing.err), missing.err);
  assert(!missing.err.includes("\n"), missing.err);
});
