import { deepStrictEqual } from "node:assert/strict";
import { joinPath } from "./join_path.ts";

Deno.test("joinPath puts exactly one slash between directory and name, and normalises nothing", () => {
  deepStrictEqual(joinPath("/srv/models", "cnn.onnx"), "/srv/models/cnn.onnx");
  deepStrictEqual(joinPath("/srv/models/", "cnn.onnx"), "/srv/models/cnn.onnx");
  deepStrictEqual(joinPath("build", "../x"), "build/../x");
});
