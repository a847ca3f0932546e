/**
 * A guard for JSON request bodies, run on the text before `JSON.parse`. Parsing builds every
 * value of a body, and some bodies under the size limit build far more than the API ever
 * takes, leaving the server bigger after each one even once the garbage is collected:
 *
 * - nesting: `[[[[...]]]]` (400,000 levels fit in 800 KB). Measured: RSS 1.13x, then 1.26x,
 *   1.40x of the warmed-up baseline over three rounds of the fuzz test's nested bodies.
 * - many values: `{"image": [0,0,0,...]}` (a million numbers in 2 MB) or 130,000 keys grew RSS
 *   by 5-12 MB per parse, with the main thread's heap collected back to its size before
 *   (measured with `--expose-gc`, 2026-12-02); those two were most of what the fuzz test's
 *   memory rose by.
 *
 * No body the API takes nests more than a few levels, and each route knows how many values its
 * largest legitimate body holds (a v2 batch of 256 images, 20,000 stroke points), so bodies
 * past either are refused (400 `bad_json`) before they are parsed.
 *
 * @module
 */
import { DigitlabError } from "../../lib/errors.ts";

/** Deeper than any body the API takes (a v2 tensor, 28x28 rows of pixels: 4 levels). */
export const MAX_JSON_DEPTH = 64;

/** What a route's JSON bodies may hold at most. */
export interface JsonLimits {
  /**
   * Values, counted as the commas at every level plus one (what separates array elements and
   * object members; a container's own first value is not counted, so this is a lower bound).
   */
  maxValues: number;
  maxDepth?: number;
}

/**
 * Why `text` is refused before parsing, or null: it opens more than `maxDepth` arrays or
 * objects inside one another, or more than `maxValues` values (its commas plus one). Brackets
 * and commas inside strings do not count. One pass, which stops at the first limit passed.
 *
 * @example
 * ```ts
 * import { jsonRefusal } from "./json_guard.ts";
 *
 * jsonRefusal('{"image": "[[[,,,"}', { maxValues: 2 }); // null
 * jsonRefusal("[".repeat(100_000), { maxValues: 10 }); // "the JSON nests deeper than 64 levels"
 * jsonRefusal(`[${"0,".repeat(99)}0]`, { maxValues: 10 }); // "the JSON holds over 10 values"
 * ```
 */
export function jsonRefusal(
  text: string,
  { maxValues, maxDepth = MAX_JSON_DEPTH }: JsonLimits,
): string | null {
  let depth = 0;
  let separators = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) { // a string: skip to its closing quote, past escapes
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 0x5c) i++;
        else if (inner === 0x22) break;
      }
    } else if (code === 0x2c) {
      // n values are separated by n - 1 commas
      if (++separators >= maxValues) return `the JSON holds over ${maxValues} values`;
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > maxDepth) return `the JSON nests deeper than ${maxDepth} levels`;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return null;
}

/** `JSON.parse(text)` once `jsonRefusal` lets it through; `bad_json` (400) otherwise. */
export function parseGuardedJson(text: string, limits: JsonLimits, unparsable: string): unknown {
  const refusal = jsonRefusal(text, limits);
  if (refusal !== null) throw new DigitlabError("bad_json", refusal);
  try {
    return JSON.parse(text);
  } catch {
    throw new DigitlabError("bad_json", unparsable);
  }
}

/**
 * A JSON text sent as one field (a multipart part), parsed once `jsonRefusal` lets it through;
 * otherwise `refuse` gets why ("holds over N values", "nests deeper than N levels", "is not
 * JSON") and makes the field's own error.
 */
export function parseJsonField(
  text: string,
  limits: JsonLimits,
  refuse: (why: string) => Error,
): unknown {
  const refusal = jsonRefusal(text, limits);
  if (refusal !== null) throw refuse(refusal.replace(/^the JSON /, ""));
  try {
    return JSON.parse(text);
  } catch {
    throw refuse("is not JSON");
  }
}
