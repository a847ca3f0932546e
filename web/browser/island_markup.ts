/**
 * How an island appears in server-rendered HTML, shared by the server (which writes it) and
 * the browser (which hydrates it):
 *
 * ```html
 * <div data-island="digit_lab" data-island-props="island-0">…rendered component…</div>
 * <script type="application/json" id="island-0">{"models":[…]}</script>
 * ```
 *
 * Props travel as JSON in a non-executable script tag, so a `script-src 'self'` CSP holds.
 *
 * @module
 */

export const ISLAND_ATTRIBUTE = "data-island";
export const ISLAND_PROPS_ATTRIBUTE = "data-island-props";

/**
 * JSON safe to place inside a `<script>` element: `<` is escaped so the text can never
 * close the element, whatever strings the props hold.
 */
export function serialiseIslandProps(props: unknown): string {
  return JSON.stringify(props).replace(/</g, "\\u003c");
}
