import assert from "node:assert/strict";
import { ENV_NAMES } from "./flags.ts";
import { USAGE } from "./usage.ts";

Deno.test("USAGE lists every flag with its variable", () => {
  for (const name of ENV_NAMES) assert(USAGE.includes(`(env ${name};`), name);
  assert(USAGE.includes("--max-concurrent N predictions"), USAGE);
});
