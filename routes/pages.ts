/**
 * The HTML side of the server: the draw page, the model cards and the built assets they
 * load. The API lives in routes/api/; both are mounted on one app by app.ts.
 *
 * @module
 */
import { type Context, Hono } from "hono";
import { accepts } from "hono/accepts";
import { h } from "preact";
import type { ModelMetadata } from "../lib/model_metadata.ts";
import { type AssetManifest, defaultBuildDir, readManifest } from "../web/server/manifest.ts";
import { joinPath } from "../lib/join_path.ts";
import { pageSecurityHeaders } from "../middleware/security_headers.ts";
import { summariseModel } from "../web/browser/model_summary.ts";
import { renderPage } from "../web/server/render_page.tsx";
import { staticFiles } from "../web/server/static_files.ts";
import { DrawPage } from "../pages/draw.tsx";
import { ModelCardPage } from "../pages/model_card.tsx";
import { NotFoundPage } from "../pages/not_found.tsx";
import { FeedbackReviewPage } from "../pages/feedback_review.tsx";
import { NumberPage } from "../pages/number.tsx";

export interface PageRoutesOptions {
  /** The models being served, read on every request so reloads show up. */
  listModels(): ModelMetadata[];
  defaultModel: string;
  /** Where models/<sheet>.png live; without it the model cards omit augmentation sheets. */
  modelsDir?: string;
  /** Where `deno task build` wrote its output; defaults to the project's build/. */
  buildDir?: string;
  /** Whether the draw and number pages show the feedback controls. */
  feedback?: boolean;
}

/** An augmentation sheet is a plain file name in the models directory, never a path. */
const SHEET_NAME = /^[\w.-]+\.png$/;

/**
 * Routes for `/`, `/number`, `/models/:name` (+ its augmentation sheet) and `/static/*`.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * import type { ModelRegistry } from "../inference/model_registry.ts";
 *
 * declare const registry: ModelRegistry;
 * const app = new Hono();
 * app.route("/", pageRoutes({
 *   listModels: () => registry.models().map((model) => model.metadata),
 *   defaultModel: "cnn",
 * }));
 * ```
 */
export function pageRoutes(options: PageRoutesOptions): Hono {
  const buildDir = options.buildDir ?? defaultBuildDir();
  const manifest = readManifest(buildDir);
  if (manifest === null) {
    console.warn(
      `No UI build in ${buildDir}: pages render without scripts or styles.` +
        " Run `deno task build`.",
    );
  }
  const app = new Hono();
  const html = pageSecurityHeaders();
  const sheetOf = (meta: ModelMetadata | undefined) =>
    meta?.augmentationSheet && options.modelsDir && SHEET_NAME.test(meta.augmentationSheet)
      ? meta.augmentationSheet
      : null;

  app.get("/static/*", staticFiles({ buildDir, manifest }));

  app.get("/", html, (c) => {
    const models = options.listModels().map(summariseModel);
    // A model card links here with ?model=NAME to try that model.
    const requested = c.req.query("model");
    const defaultModel = models.some((m) => m.name === requested)
      ? requested!
      : options.defaultModel;
    const body = h(DrawPage, { models, defaultModel, feedback: options.feedback ?? false });
    c.header("Cache-Control", "no-cache");
    return c.html(renderPage({
      title: "digitlab: draw a digit",
      description: "Draw a digit and watch a neural network trained on MNIST recognise it.",
      body,
      manifest,
    }));
  });

  app.get("/number", html, (c) => {
    const modelNames = options.listModels().map((m) => m.name);
    c.header("Cache-Control", "no-cache");
    return c.html(renderPage({
      title: "digitlab: write a number",
      description: "Write a number and watch each digit found, read and boxed.",
      body: h(NumberPage, {
        modelNames,
        defaultModel: options.defaultModel,
        feedback: options.feedback ?? false,
      }),
      manifest,
    }));
  });

  app.get("/models/:name", html, (c) => {
    const models = options.listModels();
    const modelNames = models.map((m) => m.name);
    const name = c.req.param("name");
    const meta = models.find((m) => m.name === name);
    if (meta === undefined) {
      return renderNotFound(c, manifest, modelNames, `There is no model called "${name}".`);
    }
    const augmentationUrl = sheetOf(meta)
      ? `/models/${encodeURIComponent(meta.name)}/augmentations.png`
      : null;
    c.header("Cache-Control", "no-cache");
    return c.html(renderPage({
      title: `${meta.name}: digitlab model card`,
      description: `Accuracy, confusion matrix and training curves of the ${meta.name} model.`,
      body: h(ModelCardPage, { meta, modelNames, augmentationUrl }),
      manifest,
    }));
  });

  app.get("/models/:name/augmentations.png", async (c) => {
    const meta = options.listModels().find((m) => m.name === c.req.param("name"));
    const sheet = sheetOf(meta);
    if (sheet === null) return c.text("Not Found", 404);
    let bytes: Uint8Array;
    try {
      bytes = await Deno.readFile(joinPath(options.modelsDir!, sheet));
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return c.text("Not Found", 404);
      throw error;
    }
    return c.body(bytes as Uint8Array<ArrayBuffer>, 200, {
      "Content-Type": "image/png",
      "Cache-Control": "public, max-age=3600",
    });
  });

  return app;
}

export interface ReviewPageOptions {
  listModels(): ModelMetadata[];
  buildDir?: string;
}

/**
 * `GET /feedback` for browsers: the admin's review page. It answers only a request that asks
 * for HTML (a browser navigating), and passes every other on to the JSON listing, which app.ts
 * mounts after it; the page itself holds no data, it fetches the listing with the token.
 */
export function reviewPageRoutes(options: ReviewPageOptions): Hono {
  const manifest = readManifest(options.buildDir ?? defaultBuildDir());
  const html = pageSecurityHeaders();
  return new Hono().get("/feedback", function reviewPage(c, next) {
    if (!(c.req.header("Accept") ?? "").includes("text/html")) return next();
    return html(c, () => {
      c.header("Cache-Control", "no-store");
      c.res = c.html(renderPage({
        title: "digitlab: review feedback",
        description: "Drawings users corrected, for the admin.",
        body: h(FeedbackReviewPage, { modelNames: options.listModels().map((m) => m.name) }),
        manifest,
      }));
      return Promise.resolve();
    });
  });
}

function renderNotFound(
  c: Context,
  manifest: AssetManifest | null,
  modelNames: string[],
  what: string,
): Response {
  return c.html(
    renderPage({
      title: "Not found: digitlab",
      body: h(NotFoundPage, { modelNames, what }),
      manifest,
    }),
    404,
  );
}

/**
 * For the app's notFound: the not-found page in the app's layout when a browser loads a page
 * (GET or HEAD, preferring HTML to JSON), null for everyone else (they get the JSON error).
 * Not a catch-all route: that would be every request's last matched route, and so its label.
 */
export function notFoundPage(
  options: PageRoutesOptions,
): (c: Context) => Promise<Response | null> {
  const manifest = readManifest(options.buildDir ?? defaultBuildDir());
  const pageHeaders = pageSecurityHeaders();
  return async function browserNotFound(c) {
    if ((c.req.method !== "GET" && c.req.method !== "HEAD") || !wantsHtml(c)) return null;
    const modelNames = options.listModels().map((m) => m.name);
    // The pages' headers, as their routes get them.
    await pageHeaders(c, () => {
      c.res = renderNotFound(c, manifest, modelNames, `There is no page at ${c.req.path}.`);
      return Promise.resolve();
    });
    return c.res;
  };
}

/** True when the client prefers HTML to JSON, as a browser navigating does. */
function wantsHtml(c: Context): boolean {
  return accepts(c, {
    header: "Accept",
    supports: ["application/json", "text/html"],
    default: "application/json",
  }) === "text/html";
}
