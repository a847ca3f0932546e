/**
 * The review page's side of the admin API: every call carries the token as an
 * `Authorization: Bearer` header (never in a URL), and the token lives in this tab's
 * sessionStorage only, so closing the tab forgets it.
 *
 * @module
 */

export const TOKEN_KEY = "digitlab.adminToken";

export interface ReviewItem {
  id: string;
  label: number;
  predicted: number | null;
  model: string | null;
  createdAt: string;
}

export interface ReviewFilter {
  label: number | null;
  wrong: boolean;
}

/** A refusal the page explains: the token is wrong (401) or the server has none (403). */
export class AdminError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
    this.name = "AdminError";
  }
}

export class AdminClient {
  constructor(readonly token: string, readonly fetchImpl: typeof fetch = fetch.bind(globalThis)) {}

  async #call(path: string, init: RequestInit = {}): Promise<Response> {
    const response = await this.fetchImpl(path, {
      ...init,
      headers: { Authorization: `Bearer ${this.token}`, Accept: "application/json" },
    });
    if (response.ok) return response;
    const body = await response.json().catch(() => null);
    throw new AdminError(
      response.status,
      body?.message ?? `the server answered ${response.status}`,
    );
  }

  /** One page of the listing, newest first. */
  async list(filter: ReviewFilter, after: string | null, limit = 48) {
    const query = new URLSearchParams({ limit: String(limit) });
    if (after) query.set("after", after);
    if (filter.label !== null) query.set("label", String(filter.label));
    if (filter.wrong) query.set("wrong", "true");
    const response = await this.#call(`/feedback?${query}`);
    return await response.json() as { items: ReviewItem[]; next: string | null };
  }

  /** The drawing as an object URL for an <img> (the header cannot ride on an img src). */
  async imageUrl(id: string): Promise<string> {
    const response = await this.#call(`/feedback/${encodeURIComponent(id)}/image`);
    return URL.createObjectURL(await response.blob());
  }

  async delete(id: string): Promise<void> {
    const response = await this.#call(`/feedback/${encodeURIComponent(id)}`, { method: "DELETE" });
    await response.body?.cancel();
  }
}

export function storedToken(): string | null {
  try {
    return globalThis.sessionStorage?.getItem(TOKEN_KEY) ?? null;
  } catch {
    return null;
  }
}

export function storeToken(token: string | null): void {
  try {
    if (token === null) globalThis.sessionStorage?.removeItem(TOKEN_KEY);
    else globalThis.sessionStorage?.setItem(TOKEN_KEY, token);
  } catch {
    // Storage blocked: the token lasts as long as the page.
  }
}
