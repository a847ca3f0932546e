/** The 404 page: for model names the server does not serve, and for browsers on no route. */
import { Layout } from "../components/layout.tsx";

export function NotFoundPage({ modelNames, what }: { modelNames: string[]; what: string }) {
  return (
    <Layout modelNames={modelNames} current="">
      <div class="intro">
        <h1>Not found</h1>
        <p>{what}</p>
        {modelNames.length > 0 && (
          <p>
            Served models: {modelNames.map((name, i) => (
              <span key={name}>
                {i > 0 && ", "}
                <a href={`/models/${encodeURIComponent(name)}`}>{name}</a>
              </span>
            ))}
            .
          </p>
        )}
        <p>
          <a href="/">Back to drawing</a>
        </p>
      </div>
    </Layout>
  );
}
