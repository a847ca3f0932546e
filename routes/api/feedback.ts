/**
 * The feedback API: `POST /feedback` stores a correction made in the page (open, like the page
 * itself, but bounded by the rate limit, the body limit and the store's cap); listing, reading,
 * exporting and deleting need the admin token.
 *
 * @module
 */
import { Hono } from "hono";
import type { Context, MiddlewareHandler } from "hono";
import { timingSafeEqual } from "hono/utils/buffer";
import { stream } from "hono/streaming";
import { DigitlabError } from "../../lib/errors.ts";
import { limitBody } from "../../middleware/body_limit.ts";
import {
  decodeCursor,
  type FeedbackRecord,
  type FeedbackStore,
  FeedbackStoreError,
  FeedbackStoreFull,
} from "../../feedback/store.ts";
import { readFeedbackUpload } from "./feedback_request.ts";
import { FEEDBACK_DOCS, LIST_LIMITS } from "./feedback_openapi.ts";
import { documented } from "./openapi.ts";

export interface FeedbackRouteOptions {
  store: FeedbackStore;
  /** Reading, exporting and deleting answer 403 without one. */
  adminToken: string | null;
  /** Whether `model` names a served model. */
  isServedModel: (name: string) => boolean;
  maxBodyBytes: number;
}

export function feedbackRoutes(options: FeedbackRouteOptions): Hono {
  const { store } = options;
  const admin = adminOnly(options.adminToken);
  const app = new Hono();
  app.post(
    "/feedback",
    documented(FEEDBACK_DOCS.add),
    limitBody(options.maxBodyBytes),
    async function addFeedback(c) {
      const example = await readFeedbackUpload(c.req.raw, options.isServedModel);
      const stored = await storeCall(() => store.add(example));
      return c.json(stored, 201);
    },
  );
  app.get("/feedback", documented(FEEDBACK_DOCS.list), admin, async function listFeedback(c) {
    const page = await storeCall(() => store.list(listQuery(c)));
    return c.json(page);
  });
  // Before /feedback/:id, which would otherwise take "export" for an id.
  app.get("/feedback/export", documented(FEEDBACK_DOCS.export), admin, function exportFeedback(c) {
    c.header("Content-Type", "application/jsonl; charset=utf-8");
    c.header("Content-Disposition", 'attachment; filename="feedback.jsonl"');
    return stream(c, async (out) => {
      // A failure mid-stream cannot change the status any more: the truncated file is the
      // signal, and the log says why.
      out.onAbort(() => {});
      try {
        for await (const record of store.exportAll()) {
          await out.write(`${JSON.stringify(exportLine(record))}\n`);
          if (out.aborted) return;
        }
      } catch (error) {
        console.error("GET /feedback/export failed:", error);
      }
    });
  });
  app.get("/feedback/:id", documented(FEEDBACK_DOCS.get), admin, async function getFeedback(c) {
    const { image: _image, ...record } = await found(store, c.req.param("id"));
    return c.json(record);
  });
  app.get(
    "/feedback/:id/image",
    documented(FEEDBACK_DOCS.image),
    admin,
    async function getFeedbackImage(c) {
      const record = await found(store, c.req.param("id"));
      c.header("Content-Type", record.imageType);
      c.header("Cache-Control", "private, no-store");
      return c.body(record.image.slice().buffer);
    },
  );
  app.delete(
    "/feedback/:id",
    documented(FEEDBACK_DOCS.delete),
    admin,
    async function deleteFeedback(c) {
      const deleted = await storeCall(() => store.delete(c.req.param("id")));
      if (!deleted) throw notFound(c.req.param("id"));
      return c.body(null, 204);
    },
  );
  return app;
}

/**
 * The bearer-token check. The comparison is Hono's timingSafeEqual (it hashes both sides, so
 * neither the length nor the content of the token leaks through timing); every failure is a
 * 401, whatever was wrong with the header, and the token is never echoed or logged.
 */
export function adminOnly(token: string | null): MiddlewareHandler {
  if (token === null) {
    return function adminDisabled() {
      throw new DigitlabError(
        "admin_disabled",
        "reading feedback is disabled: start digitlab with --admin-token-file FILE " +
          "(DIGITLAB_ADMIN_TOKEN_FILE) and send Authorization: Bearer <token>",
      );
    };
  }
  return async function requireAdminToken(c, next) {
    const header = c.req.header("Authorization");
    const sent = /^Bearer +(\S+)\s*$/i.exec(header ?? "")?.[1];
    if (sent === undefined || !(await timingSafeEqual(token, sent))) {
      c.header("WWW-Authenticate", sent === undefined ? "Bearer" : 'Bearer error="invalid_token"');
      throw new DigitlabError(
        "unauthorized",
        sent === undefined
          ? "send Authorization: Bearer <admin token>"
          : "the admin token is wrong",
      );
    }
    await next();
  };
}

function listQuery(c: Context) {
  const limitText = c.req.query("limit");
  const limit = limitText === undefined ? LIST_LIMITS.default : Number(limitText);
  if (!/^\d+$/.test(limitText ?? "1") || limit < 1 || limit > LIST_LIMITS.max) {
    throw new DigitlabError("bad_request", `limit must be from 1 to ${LIST_LIMITS.max}`);
  }
  const after = c.req.query("after") || null;
  if (after !== null && decodeCursor(after) === null) {
    throw new DigitlabError("bad_request", "after must be the next cursor of a previous page");
  }
  const labelText = c.req.query("label");
  if (labelText !== undefined && labelText !== "" && !/^[0-9]$/.test(labelText)) {
    throw new DigitlabError("bad_request", "label must be a digit from 0 to 9");
  }
  const wrongText = c.req.query("wrong") ?? "false";
  if (!["true", "false", ""].includes(wrongText)) {
    throw new DigitlabError("bad_request", "wrong must be true or false");
  }
  return {
    limit,
    after,
    label: labelText ? Number(labelText) : null,
    wrong: wrongText === "true",
  };
}

function exportLine({ image, ...record }: FeedbackRecord) {
  return { ...record, image: image.toBase64() };
}

async function found(store: FeedbackStore, id: string): Promise<FeedbackRecord> {
  const record = await storeCall(() => store.get(id));
  if (record === null) throw notFound(id);
  return record;
}

function notFound(id: string): DigitlabError {
  return new DigitlabError("not_found", `no feedback example ${JSON.stringify(id.slice(0, 64))}`);
}

/** The store's failures as the client's errors; a broken store is logged and answered 503. */
async function storeCall<T>(call: () => Promise<T>): Promise<T> {
  try {
    return await call();
  } catch (error) {
    if (error instanceof FeedbackStoreFull) {
      throw new DigitlabError("insufficient_storage", `${error.message}: nothing was stored`);
    }
    if (error instanceof FeedbackStoreError) {
      console.error("feedback store:", error.message);
      throw new DigitlabError("overloaded", "the feedback store is unavailable: try again later");
    }
    throw error;
  }
}
