/** Throws with `message` unless `condition` holds; a tiny stand-in for std/assert (JSR is unreachable). */
export function assert(condition: unknown, message = "assertion failed"): asserts condition {
  if (!condition) throw new Error(message);
}

/** Throws unless `actual` and `expected` are deeply equal (compared as JSON). */
export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  const a = JSON.stringify(actual), e = JSON.stringify(expected);
  if (a !== e) throw new Error(message ?? `expected ${e}, got ${a}`);
}

/** Runs `fn`, asserts it throws an instance of `type`, and returns that error. */
export function assertThrows<E extends Error>(
  fn: () => unknown,
  // deno-lint-ignore no-explicit-any
  type: new (...args: any[]) => E,
): E {
  try {
    fn();
  } catch (error) {
    assert(error instanceof type, `expected a ${type.name}, got ${error}`);
    return error;
  }
  throw new Error(`expected a ${type.name} to be thrown`);
}
