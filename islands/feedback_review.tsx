/**
 * The admin's review page for stored corrections: a grid of drawings with their label, the
 * model's answer and the model, filters by label and by "the model was wrong", and delete.
 * The token is typed into a form, kept in sessionStorage and sent as a header.
 */
import { useEffect, useState } from "preact/hooks";
import {
  AdminClient,
  AdminError,
  type ReviewFilter,
  type ReviewItem,
  storedToken,
  storeToken,
} from "../web/browser/feedback_admin_client.ts";

interface Shown extends ReviewItem {
  imageUrl: string | null;
}

export default function FeedbackReview() {
  const [client, setClient] = useState<AdminClient | null>(null);
  const [filter, setFilter] = useState<ReviewFilter>({ label: null, wrong: false });
  const [items, setItems] = useState<Shown[]>([]);
  const [next, setNext] = useState<string | null>(null);
  const [problem, setProblem] = useState<string | null>(null);
  const [loading, setLoading] = useState(false);

  useEffect(() => {
    const token = storedToken();
    if (token) setClient(new AdminClient(token));
  }, []);

  const load = async (admin: AdminClient, chosen: ReviewFilter, after: string | null) => {
    setLoading(true);
    try {
      const page = await admin.list(chosen, after);
      const shown = await Promise.all(
        page.items.map(async (item) => ({
          ...item,
          imageUrl: await admin.imageUrl(item.id).catch(() => null),
        })),
      );
      setItems((old) => after ? [...old, ...shown] : shown);
      setNext(page.next);
      setProblem(null);
    } catch (error) {
      setProblem(explain(error));
      if (error instanceof AdminError && error.status === 401) forget();
    } finally {
      setLoading(false);
    }
  };

  useEffect(() => {
    if (client) load(client, filter, null);
  }, [client, filter]);

  const forget = () => {
    storeToken(null);
    setClient(null);
    setItems([]);
    setNext(null);
  };

  const remove = async (id: string) => {
    if (!client) return;
    try {
      await client.delete(id);
      setItems((old) => old.filter((item) => item.id !== id));
    } catch (error) {
      setProblem(explain(error));
    }
  };

  if (!client) {
    return (
      <form
        class="panel review-login"
        onSubmit={(event) => {
          event.preventDefault();
          const input = event.currentTarget.elements.namedItem("token") as HTMLInputElement;
          const token = input.value.trim();
          if (!token) return;
          storeToken(token);
          setClient(new AdminClient(token));
        }}
      >
        <label>
          <span>Admin token</span>
          <input id="admin-token" name="token" type="password" autocomplete="off" required />
        </label>
        <button type="submit" id="admin-sign-in">Show feedback</button>
        <p class="hint">
          The token in the server's --admin-token-file. It stays in this tab only.
        </p>
        {problem && <p class="error" role="alert">{problem}</p>}
      </form>
    );
  }

  return (
    <div class="review">
      <div class="toolbar review-filters">
        <label class="picker">
          <span>Label</span>
          <select
            id="filter-label"
            value={filter.label === null ? "" : String(filter.label)}
            onChange={(event) => {
              const value = event.currentTarget.value;
              setFilter({ ...filter, label: value === "" ? null : Number(value) });
            }}
          >
            <option value="">any</option>
            {[0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((d) => <option key={d} value={d}>{d}</option>)}
          </select>
        </label>
        <label>
          <input
            id="filter-wrong"
            type="checkbox"
            checked={filter.wrong}
            onChange={(event) => setFilter({ ...filter, wrong: event.currentTarget.checked })}
          />{" "}
          the model was wrong
        </label>
        <button type="button" id="admin-forget" onClick={forget}>Forget token</button>
      </div>
      {problem && <p class="error" role="alert">{problem}</p>}
      <ul class="review-grid" aria-busy={loading}>
        {items.map((item) => (
          <li key={item.id} class="review-item" data-id={item.id}>
            {item.imageUrl
              ? (
                <img
                  src={item.imageUrl}
                  alt={`drawing labelled ${item.label}`}
                  width={84}
                  height={84}
                />
              )
              : <span class="review-missing">no image</span>}
            <span class="review-label">
              {item.label}
              {item.predicted !== null && item.predicted !== item.label && (
                <small class="review-wrong">read as {item.predicted}</small>
              )}
            </span>
            <small>{item.model ?? "model unknown"}</small>
            <button type="button" class="review-delete" onClick={() => remove(item.id)}>
              Delete
            </button>
          </li>
        ))}
      </ul>
      {!loading && items.length === 0 && <p id="review-empty">No stored drawings match.</p>}
      {next && (
        <button type="button" id="review-more" onClick={() => load(client, filter, next)}>
          Show more
        </button>
      )}
    </div>
  );
}

function explain(error: unknown): string {
  if (error instanceof AdminError) {
    if (error.status === 401) return "That token is wrong.";
    if (error.status === 403) return `The server has no admin token: ${error.message}`;
    return error.message;
  }
  return "The server could not be reached.";
}
