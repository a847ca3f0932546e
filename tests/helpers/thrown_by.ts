/**
 * The error `fn` throws, checked to be a `type`: for tests that go on to look at its code or
 * message. Fails when `fn` throws nothing or something else.
 *
 * @module
 */
import assert, { throws } from "node:assert/strict";

export function thrownBy<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
): E {
  let thrown: E | undefined;
  throws(fn, (error: unknown) => {
    assert(error instanceof type, `expected a ${type.name}, got ${error}`);
    thrown = error;
    return true;
  });
  return thrown!;
}
