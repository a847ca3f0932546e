/**
 * Client side of islands: find the server-rendered markers of one island and hydrate each
 * with the props the server serialised beside it. Runs in the browser only.
 *
 * @module
 */
import { type ComponentType, h, hydrate } from "preact";
import { ISLAND_ATTRIBUTE, ISLAND_PROPS_ATTRIBUTE } from "./island_markup.ts";

// deno-lint-ignore no-explicit-any
export function hydrateIslands(name: string, component: ComponentType<any>): void {
  for (const root of document.querySelectorAll<HTMLElement>(`[${ISLAND_ATTRIBUTE}="${name}"]`)) {
    const propsId = root.getAttribute(ISLAND_PROPS_ATTRIBUTE);
    const propsText = propsId === null ? null : document.getElementById(propsId)?.textContent;
    hydrate(h(component, propsText ? JSON.parse(propsText) : {}), root);
  }
}
