import assert from "node:assert/strict";
import { formatProbability, unsureText } from "./probability_text.ts";

Deno.test("probabilities near 0 and 1 are not rounded to 0.0% and 100.0%", () => {
  assert.equal(formatProbability(0.99996), ">99.9%");
  assert.equal(formatProbability(1), ">99.9%");
  assert.equal(formatProbability(0.999), "99.9%");
  assert.equal(formatProbability(0.8734), "87.3%");
  assert.equal(formatProbability(0.001), "0.1%");
  assert.equal(formatProbability(0.00004), "<0.1%");
  assert.equal(formatProbability(0), "<0.1%");
});

Deno.test("an unsure answer names both digits", () => {
  assert.equal(unsureText(7, 2), "not sure: 7 or 2?");
});
