import assert, { deepStrictEqual } from "node:assert/strict";
import { readCompileTask } from "../tests/compile_task.ts";
import { DATA_HOME_ENV_NAMES, ENV_NAMES, FLAGS, PACKAGE_ENV_NAMES } from "./flags.ts";

Deno.test("the compile task's --allow-env list is exactly the flag table's variables", async () => {
  const { permissions } = await readCompileTask();
  const allowEnv = permissions.find((flag) => flag.startsWith("--allow-env="));
  assert(allowEnv, `the compile task grants no named variables: ${permissions.join(" ")}`);
  const granted = allowEnv.slice("--allow-env=".length).split(",").sort();
  deepStrictEqual(granted, [...ENV_NAMES, ...DATA_HOME_ENV_NAMES, ...PACKAGE_ENV_NAMES].sort());
});

Deno.test("every flag has its own variable", () => {
  deepStrictEqual(new Set(ENV_NAMES).size, Object.keys(FLAGS).length);
});
