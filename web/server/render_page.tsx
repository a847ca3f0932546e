/**
 * Server-side rendering of a whole HTML document: renders the page body with
 * preact-render-to-string, notes which islands it used, and links exactly their scripts
 * (plus the stylesheets) from the build manifest.
 *
 * @module
 */
import { type ComponentChild, type ComponentType, createContext, h, type VNode } from "preact";
import { useContext } from "preact/hooks";
import { renderToString } from "preact-render-to-string";
import type { AssetManifest } from "./manifest.ts";
import {
  ISLAND_ATTRIBUTE,
  ISLAND_PROPS_ATTRIBUTE,
  serialiseIslandProps,
} from "../browser/island_markup.ts";

interface RenderState {
  islands: Set<string>;
  /** Serialised props by element id, written at the end of the body. */
  props: Map<string, string>;
}

const RenderStateContext = createContext<RenderState | null>(null);

export interface IslandProps<P> {
  /** The island's file name in islands/ without extension; the build names its bundle so. */
  name: string;
  component: ComponentType<P>;
  props: P;
}

/**
 * Renders `component` on the server and marks it for hydration in the browser. `props` must
 * survive JSON: they are serialised into the page.
 */
export function Island<P>({ name, component, props }: IslandProps<P>): VNode {
  const state = useContext(RenderStateContext);
  if (state === null) throw new Error(`island "${name}" rendered outside renderPage`);
  state.islands.add(name);
  const id = `island-${state.props.size}`;
  state.props.set(id, serialiseIslandProps(props));
  // The props script lives outside this root (end of body): inside it, hydration would
  // meet a node the component does not render.
  const marker: Record<string, string> = { [ISLAND_ATTRIBUTE]: name, [ISLAND_PROPS_ATTRIBUTE]: id };
  const Component = component as ComponentType<Record<string, unknown>>;
  return (
    <div {...marker}>
      <Component {...props as Record<string, unknown>} />
    </div>
  );
}

export interface PageOptions {
  title: string;
  description?: string;
  body: ComponentChild;
  /** `null` when there is no build: the page still renders, without scripts and styles. */
  manifest: AssetManifest | null;
}

/** Renders a full HTML document for `body`, linking the scripts of the islands it used. */
export function renderPage({ title, description, body, manifest }: PageOptions): string {
  const state: RenderState = { islands: new Set(), props: new Map() };
  const bodyHtml = renderToString(h(RenderStateContext.Provider, { value: state }, body));
  const propsScripts = [...state.props].map(([id, json]) =>
    `<script type="application/json" id="${id}">${json}</script>`
  );
  const head: string[] = [
    `<meta charset="utf-8">`,
    `<meta name="viewport" content="width=device-width, initial-scale=1">`,
    `<meta name="color-scheme" content="light dark">`,
    `<title>${escapeHtml(title)}</title>`,
  ];
  if (description) head.push(`<meta name="description" content="${escapeHtml(description)}">`);
  if (manifest !== null) {
    const favicon = manifest.assets["favicon.svg"];
    if (favicon) head.push(`<link rel="icon" href="${favicon}" type="image/svg+xml">`);
    for (const href of manifest.styles) head.push(`<link rel="stylesheet" href="${href}">`);
    for (const name of state.islands) {
      const src = manifest.islands[name];
      if (src === undefined) continue;
      for (const chunk of manifest.islandImports[name] ?? []) {
        head.push(`<link rel="modulepreload" href="${chunk}">`);
      }
      head.push(`<script type="module" src="${src}"></script>`);
    }
  }
  return `<!doctype html><html lang="en"><head>${head.join("")}</head><body>${bodyHtml}${
    propsScripts.join("")
  }</body></html>`;
}

const HTML_ESCAPES: Record<string, string> = {
  "&": "&amp;",
  "<": "&lt;",
  ">": "&gt;",
  '"': "&quot;",
  "'": "&#39;",
};

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (char) => HTML_ESCAPES[char]);
}
