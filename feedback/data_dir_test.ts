import assert from "node:assert/strict";
import { defaultDataDir, feedbackDatabasePath } from "./data_dir.ts";

Deno.test("the data folder follows XDG_DATA_HOME, then HOME", () => {
  assert.equal(defaultDataDir({ XDG_DATA_HOME: "/xdg", HOME: "/home/a" }), "/xdg/digitlab");
  assert.equal(defaultDataDir({ HOME: "/home/a" }), "/home/a/.local/share/digitlab");
  // A relative XDG_DATA_HOME is invalid by the specification.
  assert.equal(defaultDataDir({ XDG_DATA_HOME: "rel", HOME: "/h" }), "/h/.local/share/digitlab");
  assert.equal(defaultDataDir({}), null);
  assert.equal(feedbackDatabasePath("/var/lib/digitlab"), "/var/lib/digitlab/feedback.sqlite3");
});
