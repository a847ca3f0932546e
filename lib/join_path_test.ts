import { assertEquals } from "./assert.ts";
import { joinPath } from "./join_path.ts";

Deno.test("joinPath puts exactly one slash between directory and name, and normalises nothing", () => {
  assertEquals(joinPath("/srv/models", "cnn.onnx"), "/srv/models/cnn.onnx");
  assertEquals(joinPath("/srv/models/", "cnn.onnx"), "/srv/models/cnn.onnx");
  assertEquals(joinPath("build", "../x"), "build/../x");
});
