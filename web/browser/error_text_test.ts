import assert, { deepStrictEqual } from "node:assert/strict";
import { ERROR_STATUS } from "../../lib/errors.ts";
import { errorText } from "./error_text.ts";

Deno.test("every code a client can see from /predict has its own plain words, without the code", () => {
  const general = errorText("no_such_code");
  // Codes a browser's PNG upload cannot cause (malformed bodies, routing) get the general words.
  const notFromThePage = new Set([
    "malformed_multipart",
    "missing_field",
    "bad_json",
    "bad_base64",
    "bad_request",
    "not_found",
    "method_not_allowed",
    "internal_error",
  ]);
  for (const code of Object.keys(ERROR_STATUS)) {
    const text = errorText(code);
    assert(!`${text.title} ${text.advice}`.includes(code), `${code} shows its code`);
    assert(!/_/.test(text.title + text.advice), `${code}: "${text.title}" reads like a code`);
    if (!notFromThePage.has(code)) assert(text !== general, `${code} has no words of its own`);
  }
});

Deno.test("a bare 5xx reads as a busy server, anything unknown as a general failure", () => {
  deepStrictEqual(errorText("http_502"), errorText("overloaded"));
  deepStrictEqual(errorText("http_418").title, "Something went wrong");
  deepStrictEqual(errorText("constructor").title, "Something went wrong");
});
