/** The frame every page shares: header with the model links, main content, footer. */
import type { ComponentChildren } from "preact";

export interface LayoutProps {
  /** Model names for the header's model-card links. */
  modelNames: string[];
  /** The current path, to mark the active link. */
  current: string;
  children: ComponentChildren;
}

export function Layout({ modelNames, current, children }: LayoutProps) {
  const link = (href: string, label: string) => (
    <a href={href} aria-current={href === current ? "page" : undefined}>{label}</a>
  );
  return (
    <>
      <a class="skip" href="#main">Skip to content</a>
      <header class="site-header">
        <a class="brand" href="/">
          <span class="brand-mark" aria-hidden="true">7</span>digitlab
        </a>
        <nav aria-label="Pages">
          {link("/", "Draw")}
          {link("/number", "Number")}
          {modelNames.map((name) => (
            <span key={name}>{link(`/models/${encodeURIComponent(name)}`, name)}</span>
          ))}
        </nav>
      </header>
      <main id="main">{children}</main>
      <footer class="site-footer">
        <p>
          Handwritten digits recognised by networks trained on MNIST.{" "}
          <a href="/docs">API documentation</a>
        </p>
      </footer>
    </>
  );
}
