/**
 * The /docs page's own look: the app's header (brand and a way back to drawing) and a dark
 * mode for Swagger UI, which has none. Kept apart from the app's stylesheet because Swagger
 * UI styles buttons, links and forms its own way; the colours mirror static/styles.css.
 *
 * @module
 */

/** The header above Swagger UI, as the app's pages have it. */
export const DOCS_HEADER = `<header class="docs-header">
<a class="brand" href="/"><span class="brand-mark" aria-hidden="true">7</span>digitlab</a>
<nav aria-label="Pages"><a href="/">← Back to drawing</a><a href="/docs" aria-current="page">API</a></nav>
</header>`;

export const DOCS_CSS = `:root {
  color-scheme: light dark;
  --bg: #ffffff;
  --text: #1b1f2a;
  --muted: #5b6475;
  --accent: #3b5bdb;
  --accent-soft: #dbe4ff;
  --border: #dfe3ee;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0e1120;
    --text: #e6e9f2;
    --muted: #9aa3b8;
    --accent: #8da2ff;
    --accent-soft: #27305a;
    --border: #2a3150;
  }
}
body {
  margin: 0;
  background: var(--bg);
  color: var(--text);
}
.docs-header {
  display: flex;
  flex-wrap: wrap;
  align-items: center;
  justify-content: space-between;
  gap: 0.5rem 1.5rem;
  max-width: 1460px;
  margin: 0 auto;
  padding: 1rem 20px 0.5rem;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif;
}
.docs-header .brand {
  display: inline-flex;
  align-items: center;
  gap: 0.55rem;
  font-weight: 700;
  font-size: 1.2rem;
  color: var(--text);
  text-decoration: none;
}
.docs-header .brand-mark {
  display: inline-grid;
  place-items: center;
  width: 1.9rem;
  height: 1.9rem;
  border-radius: 8px;
  background: var(--accent);
  color: var(--bg);
}
.docs-header nav {
  display: flex;
  flex-wrap: wrap;
  gap: 0.25rem;
}
.docs-header nav a {
  padding: 0.3rem 0.7rem;
  border-radius: 999px;
  color: var(--muted);
  text-decoration: none;
}
.docs-header nav a:hover {
  color: var(--text);
}
.docs-header nav a[aria-current="page"] {
  color: var(--accent);
  background: var(--accent-soft);
  font-weight: 600;
}
.docs-header a:focus-visible {
  outline: 2px solid var(--accent);
  outline-offset: 2px;
}
/* Swagger UI has no dark theme: invert its light one, and turn back what is already dark
   (code samples) or must keep its colours (images). */
@media (prefers-color-scheme: dark) {
  .swagger-ui {
    filter: invert(90%) hue-rotate(180deg);
  }
  .swagger-ui .microlight,
  .swagger-ui .highlight-code,
  .swagger-ui img {
    filter: invert(100%) hue-rotate(180deg);
  }
}
`;
