/**
 * The OpenAPI request body of the routes that take an image (/predict, /predict/number): the
 * three ways routes/api/request_image.ts reads one, documented once.
 *
 * @module
 */
import { IMAGE_FIELD } from "./request_image.ts";

/** Fields a route takes beside the image: as multipart parts and as JSON members. */
export interface ExtraUploadFields {
  multipart?: Record<string, unknown>;
  json?: Record<string, unknown>;
}

/** Multipart `img`, a raw PNG/JPEG body, or JSON `{"image": ...}`, plus `extra` fields. */
export function imageRequestBody(extra: ExtraUploadFields = {}) {
  return {
    required: true,
    content: {
      "multipart/form-data": {
        schema: {
          type: "object",
          required: [IMAGE_FIELD],
          properties: { [IMAGE_FIELD]: { type: "string", format: "binary" }, ...extra.multipart },
        },
        encoding: { [IMAGE_FIELD]: { contentType: "image/png, image/jpeg" } },
      },
      "image/png": { schema: { type: "string", format: "binary" } },
      "image/jpeg": { schema: { type: "string", format: "binary" } },
      "application/json": {
        schema: {
          type: "object",
          required: ["image"],
          properties: {
            image: { type: "string", description: "base64, or a data:image/png;base64 URL" },
            ...extra.json,
          },
        },
      },
    },
  };
}
