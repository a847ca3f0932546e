/**
 * A guard for JSON request bodies: `JSON.parse` builds every level of a body like `[[[[...]]]]`
 * (400,000 levels fit in 800 KB), and each parse of such a body left the server's heap bigger
 * than before (measured: RSS 1.13x, then 1.26x, 1.40x of the warmed-up baseline after three
 * rounds of the fuzz test's nested bodies). No body this API takes nests more than a few
 * levels, so deeper ones are refused before they are parsed.
 *
 * @module
 */

/** Deeper than any body the API takes (a v2 tensor, 28x28 rows of pixels: 4 levels). */
export const MAX_JSON_DEPTH = 64;

/**
 * True when `text` opens more than `maxDepth` arrays or objects inside one another (brackets
 * inside strings do not count). One pass, stops at the first level too deep.
 *
 * @example
 * ```ts
 * import { nestsTooDeep } from "./json_depth.ts";
 *
 * nestsTooDeep('{"image": "[[["}'); // false
 * nestsTooDeep("[".repeat(100_000)); // true
 * ```
 */
export function nestsTooDeep(text: string, maxDepth = MAX_JSON_DEPTH): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 0x22) { // a string: skip to its closing quote, past escapes
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 0x5c) i++;
        else if (inner === 0x22) break;
      }
    } else if (code === 0x5b || code === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (code === 0x5d || code === 0x7d) depth--;
  }
  return false;
}

/** The message for a body `nestsTooDeep` refuses. */
export const TOO_DEEP_MESSAGE = `the JSON nests deeper than ${MAX_JSON_DEPTH} levels`;
