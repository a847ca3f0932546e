import { deepStrictEqual } from "node:assert/strict";
import { layerRow, versionStamp } from "./model_summary.ts";

Deno.test("layerRow splits training's architecture lines into table columns", () => {
  deepStrictEqual(layerRow("Conv2D -> [N,14,14,64] (18432 params)"), {
    kind: "Conv2D",
    output: "14 × 14 × 64",
    parameters: 18432,
  });
  deepStrictEqual(layerRow("Flatten -> [N,3136] (0 params)"), {
    kind: "Flatten",
    output: "3136",
    parameters: 0,
  });
  // A line in another format is kept whole rather than guessed at.
  deepStrictEqual(layerRow("Conv2D 8 3x3"), { kind: "Conv2D 8 3x3", output: "", parameters: null });
});

Deno.test("versionStamp drops the accuracy training appends, nothing else", () => {
  deepStrictEqual(versionStamp("20261126.063252-99.54"), "20261126.063252");
  deepStrictEqual(versionStamp("1.2.3"), "1.2.3");
  deepStrictEqual(versionStamp("nightly-build"), "nightly-build");
});
