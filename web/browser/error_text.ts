/**
 * What the page says when a prediction fails: plain words for a person, by error code. The
 * codes stay in the JSON for programs; a person never needs to read one.
 *
 * @module
 */

export interface ErrorText {
  /** One short line: what happened. */
  title: string;
  /** What to do about it. */
  advice: string;
}

const TEXTS: Record<string, ErrorText> = {
  no_digit_found: {
    title: "No digit found",
    advice: "The picture looks empty. Draw a bit bigger or darker.",
  },
  undecodable_image: {
    title: "That picture could not be read",
    advice: "The file seems damaged. Try another PNG or JPEG.",
  },
  unsupported_media_type: {
    title: "That kind of file cannot be read",
    advice: "Upload a PNG or JPEG picture.",
  },
  image_too_large: {
    title: "That picture is too big",
    advice: "Use a smaller picture (fewer pixels).",
  },
  payload_too_large: {
    title: "That file is too big",
    advice: "Use a smaller picture.",
  },
  request_timeout: {
    title: "The upload took too long",
    advice: "Check your connection and try again.",
  },
  unknown_model: {
    title: "This model is no longer served",
    advice: "Reload the page to see the models the server has now.",
  },
  overloaded: {
    title: "The server is busy",
    advice: "It will have room again in a moment.",
  },
  rate_limited: {
    title: "Too many drawings at once",
    advice: "Wait a moment before the next one.",
  },
  no_models: {
    title: "The server has no model loaded yet",
    advice: "It is probably starting up.",
  },
  unreachable: {
    title: "The server could not be reached",
    advice: "Check your connection, or that digitlab is running.",
  },
  unreadable_file: {
    title: "The browser cannot open that file",
    advice: "Upload a picture (PNG or JPEG).",
  },
  too_many_digits: {
    title: "Too many separate marks to read",
    advice: "Clear the pad and write the number with fewer specks and strokes.",
  },
  unauthorized: {
    title: "That admin token was not accepted",
    advice: "Type the token from the server's admin token file again.",
  },
  admin_disabled: {
    title: "Reviewing is switched off on this server",
    advice: "Start it with --admin-token-file to review feedback.",
  },
  insufficient_storage: {
    title: "The server cannot store more corrections",
    advice: "Its feedback store is full; thank you anyway.",
  },
  bad_response: {
    title: "The server's answer made no sense",
    advice: "Reload the page; if it keeps happening, the server needs a look.",
  },
};

const UNKNOWN: ErrorText = {
  title: "Something went wrong",
  advice: "Draw again; if it keeps happening, reload the page.",
};

/** The words for `code`; a general sentence for codes the page does not know. */
export function errorText(code: string): ErrorText {
  if (Object.hasOwn(TEXTS, code)) return TEXTS[code];
  if (/^http_5\d\d$/.test(code)) return TEXTS.overloaded;
  return UNKNOWN;
}
