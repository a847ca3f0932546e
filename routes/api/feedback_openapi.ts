/**
 * The feedback routes' OpenAPI operations; routes/api/feedback.ts declares each on its route
 * with `documented(...)`.
 *
 * @module
 */
import { MAX_STROKE_POINTS, MAX_STROKES } from "./feedback_request.ts";
import { error, json, type Operation } from "./openapi.ts";

/** Page sizes for `GET /feedback`. */
export const LIST_LIMITS = { default: 50, max: 500 } as const;

const digit = { type: "integer", minimum: 0, maximum: 9 };

const adminErrors = {
  "401": error("No bearer token, or the wrong one"),
  "403": error("No admin token configured (--admin-token-file)"),
};

const admin = { security: [{ adminToken: [] }], tags: ["Feedback (admin)"] };

const id = {
  name: "id",
  in: "path",
  required: true,
  description: "The id POST /feedback answered.",
  schema: { type: "string" },
};

const strokes = {
  type: "array",
  maxItems: MAX_STROKES,
  description: `Strokes as drawn, each a list of [x, y] points in the canvas's unit square ` +
    `(0-1); at most ${MAX_STROKE_POINTS} points in all.`,
  items: {
    type: "array",
    items: {
      type: "array",
      items: { type: "number", minimum: 0, maximum: 1 },
      minItems: 2,
      maxItems: 2,
    },
  },
};

const summary = {
  type: "object",
  required: ["id", "label", "predicted", "model", "createdAt"],
  properties: {
    id: { type: "string" },
    label: digit,
    predicted: { ...digit, type: ["integer", "null"] },
    model: { type: ["string", "null"] },
    createdAt: { type: "string", format: "date-time" },
  },
};

/** Operations by route. */
export const FEEDBACK_DOCS: Record<string, Operation> = {
  add: {
    summary: "Store a correction: this drawing is that digit",
    description: "Open to everyone (the page's 'right' / 'it's a ...' buttons), within the " +
      "rate limit, the body limit and the store's cap (--feedback-max). Answers 201 only " +
      "once the example is on disk. Not served with --feedback off.",
    tags: ["Feedback"],
    requestBody: {
      required: true,
      content: {
        "multipart/form-data": {
          schema: {
            type: "object",
            required: ["img", "label"],
            properties: {
              img: { type: "string", format: "binary" },
              label: digit,
              predicted: digit,
              model: { type: "string", description: "A served model's name (GET /models)." },
              strokes: { type: "string", description: "JSON: see the JSON body's strokes." },
            },
          },
          encoding: { img: { contentType: "image/png, image/jpeg" } },
        },
        "application/json": {
          schema: {
            type: "object",
            required: ["image", "label"],
            properties: {
              image: { type: "string", description: "base64, or a data:image/png;base64 URL" },
              label: digit,
              predicted: digit,
              model: { type: "string" },
              strokes,
            },
          },
        },
      },
    },
    responses: {
      "201": json(summary, "Stored"),
      "400": error("Missing or bad field: label or predicted not 0-9, strokes not point pairs"),
      "404": error("Unknown model"),
      "413": error("Body over the limit"),
      "415": error("Not a PNG or JPEG"),
      "422": error("Undecodable or blank image, or over 1024x1024"),
      "429": error("Rate limited"),
      "507": error("The store is full (--feedback-max) or its disk is: nothing stored"),
    },
  },
  list: {
    summary: "List stored corrections, newest first",
    ...admin,
    parameters: [
      {
        name: "limit",
        in: "query",
        schema: {
          type: "integer",
          minimum: 1,
          maximum: LIST_LIMITS.max,
          default: LIST_LIMITS.default,
        },
      },
      {
        name: "after",
        in: "query",
        description: "The previous page's next",
        schema: { type: "string" },
      },
      { name: "label", in: "query", schema: digit },
      {
        name: "wrong",
        in: "query",
        description: "Only examples the model got wrong",
        schema: { type: "boolean" },
      },
    ],
    responses: {
      "200": json({
        type: "object",
        required: ["items", "next"],
        properties: {
          items: { type: "array", items: summary },
          next: { type: ["string", "null"] },
        },
      }, "A page"),
      "400": error("Bad query parameter"),
      ...adminErrors,
    },
  },
  export: {
    summary: "Every stored correction as JSON Lines (streamed, oldest first)",
    description: "One JSON object per line: the summary's fields, strokes, imageType and " +
      "image (base64). `deno task train --feedback FILE` reads it.",
    ...admin,
    responses: {
      "200": {
        description: "JSON Lines",
        content: { "application/jsonl": { schema: { type: "string" } } },
      },
      ...adminErrors,
    },
  },
  get: {
    summary: "One stored correction (without the image)",
    ...admin,
    parameters: [id],
    responses: {
      "200": json({
        allOf: [summary, {
          type: "object",
          properties: {
            strokes: { ...strokes, type: ["array", "null"] },
            imageType: { type: "string" },
          },
        }],
      }, "The example"),
      "404": error("No such example"),
      ...adminErrors,
    },
  },
  delete: {
    summary: "Delete a stored correction",
    ...admin,
    parameters: [id],
    responses: {
      "204": { description: "Deleted" },
      "404": error("No such example"),
      ...adminErrors,
    },
  },
  image: {
    summary: "The drawing as it was sent (PNG or JPEG)",
    ...admin,
    parameters: [id],
    responses: {
      "200": {
        description: "The image",
        content: {
          "image/png": { schema: { type: "string", format: "binary" } },
          "image/jpeg": { schema: { type: "string", format: "binary" } },
        },
      },
      "404": error("No such example"),
      ...adminErrors,
    },
  },
};
