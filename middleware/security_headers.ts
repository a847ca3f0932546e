/**
 * The one security-header layer, on Hono's `secureHeaders`. Every response gets the headers
 * below with a Content-Security-Policy that loads nothing (right for JSON, scripts, images);
 * a page that loads things declares its own policy on its route (`pageSecurityHeaders`,
 * `docsSecurityHeaders`), and the app-wide layer only fills in what the route left unset.
 * An HTML page that forgets to declare one gets the load-nothing policy: broken, not open.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import { secureHeaders } from "hono/secure-headers";

type SecureHeadersOptions = NonNullable<Parameters<typeof secureHeaders>[0]>;
type ContentSecurityPolicy = NonNullable<SecureHeadersOptions["contentSecurityPolicy"]>;

/** What every response gets; secureHeaders' other defaults (HSTS and the rest) stay off. */
const EVERY_RESPONSE: SecureHeadersOptions = {
  crossOriginResourcePolicy: "same-origin",
  crossOriginOpenerPolicy: "same-origin",
  referrerPolicy: "no-referrer",
  xContentTypeOptions: "nosniff",
  xFrameOptions: "DENY",
  originAgentCluster: false,
  strictTransportSecurity: false,
  xDnsPrefetchControl: false,
  xDownloadOptions: false,
  xPermittedCrossDomainPolicies: false,
  xXssProtection: false,
};

/** For what is not a page (JSON, scripts, styles, images): it loads nothing. */
const LOAD_NOTHING: ContentSecurityPolicy = {
  defaultSrc: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * The UI's pages. Scripts come only from our own origin (islands are external modules and
 * their props are JSON, never inline code), styles likewise; images may be data:/blob: URLs
 * because the page previews uploads and the 28x28 input.
 */
const PAGE_POLICY: ContentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'"],
  imgSrc: ["'self'", "data:", "blob:"],
  connectSrc: ["'self'"],
  fontSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  formAction: ["'self'"],
  frameAncestors: ["'none'"],
};

/** Swagger UI at /docs: its inline styles need 'unsafe-inline' for styles; scripts stay ours. */
const DOCS_POLICY: ContentSecurityPolicy = {
  defaultSrc: ["'self'"],
  scriptSrc: ["'self'"],
  styleSrc: ["'self'", "'unsafe-inline'"],
  imgSrc: ["'self'", "data:"],
  connectSrc: ["'self'"],
  objectSrc: ["'none'"],
  baseUri: ["'none'"],
  frameAncestors: ["'none'"],
};

/**
 * The app-wide layer: fills in every header a route did not set.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * const app = new Hono();
 * app.use(defaultSecurityHeaders());
 * ```
 */
export function defaultSecurityHeaders(): MiddlewareHandler {
  return secureHeaders({
    ...EVERY_RESPONSE,
    contentSecurityPolicy: LOAD_NOTHING,
    overwrite: false,
  });
}

/**
 * For the UI's pages: their policy, and no camera, microphone or location.
 *
 * @example
 * ```ts
 * import { Hono } from "hono";
 * const app = new Hono();
 * app.get("/", pageSecurityHeaders(), (c) => c.html("<h1>digitlab</h1>"));
 * ```
 */
export function pageSecurityHeaders(): MiddlewareHandler {
  return secureHeaders({
    ...EVERY_RESPONSE,
    contentSecurityPolicy: PAGE_POLICY,
    permissionsPolicy: { camera: [], microphone: [], geolocation: [] },
  });
}

/** For the Swagger UI page at /docs. */
export function docsSecurityHeaders(): MiddlewareHandler {
  return secureHeaders({ ...EVERY_RESPONSE, contentSecurityPolicy: DOCS_POLICY });
}
