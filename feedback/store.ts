/**
 * What a feedback store keeps and the one interface both back ends (SQLite, PostgreSQL)
 * implement, so the routes, the tests and training never know which one they talk to.
 *
 * @module
 */

/** One stroke of the page's pen: `[x, y]` points in the canvas's unit square. */
export type Stroke = [number, number][];

export type ImageType = "image/png" | "image/jpeg";

/** A correction as the routes hand it over: already validated. */
export interface NewFeedback {
  label: number;
  /** What the model answered, when the client says so. */
  predicted: number | null;
  /** The served model that answered. */
  model: string | null;
  strokes: Stroke[] | null;
  image: Uint8Array;
  imageType: ImageType;
}

/** What listings show. */
export interface FeedbackSummary {
  id: string;
  label: number;
  predicted: number | null;
  model: string | null;
  /** ISO 8601, UTC. */
  createdAt: string;
}

/** One stored example in full. */
export interface FeedbackRecord extends FeedbackSummary {
  strokes: Stroke[] | null;
  image: Uint8Array;
  imageType: ImageType;
}

export interface ListQuery {
  /** At most this many items (the routes cap it). */
  limit: number;
  /** The `next` cursor of the previous page. */
  after?: string | null;
  /** Only this label. */
  label?: number | null;
  /** Only examples whose `predicted` is known and differs from `label`. */
  wrong?: boolean;
}

/** A page of a listing, newest first; `next` is null on the last page. */
export interface FeedbackPage {
  items: FeedbackSummary[];
  next: string | null;
}

/**
 * Durable storage of corrections. `add` resolves only once the example is on disk; every
 * method may throw FeedbackStoreFull (from `add`) or FeedbackStoreError.
 */
export interface FeedbackStore {
  /** Which back end, for the start-up line and the tests. */
  readonly kind: "sqlite" | "postgres";
  add(example: NewFeedback): Promise<FeedbackSummary>;
  list(query: ListQuery): Promise<FeedbackPage>;
  get(id: string): Promise<FeedbackRecord | null>;
  /** True when there was such an example. */
  delete(id: string): Promise<boolean>;
  /** Every example, oldest first, read in small batches so memory stays flat. */
  exportAll(): AsyncIterable<FeedbackRecord>;
  count(): Promise<number>;
  close(): Promise<void>;
}

/** The store holds its cap (`--feedback-max`) or the disk is full: nothing was written. */
export class FeedbackStoreFull extends Error {
  override name = "FeedbackStoreFull";
}

/** The store cannot be opened or used (corrupt file, newer schema, unreachable server). */
export class FeedbackStoreError extends Error {
  override name = "FeedbackStoreError";
}

/** Examples per read when exporting: bounded memory, few round trips. */
export const EXPORT_BATCH = 200;

/** Cursor text for a sequence number; opaque to clients. */
export function encodeCursor(sequence: number): string {
  return sequence.toString(36);
}

/** The sequence number in a cursor, or null when it is not one of ours. */
export function decodeCursor(cursor: string): number | null {
  if (!/^[0-9a-z]{1,11}$/.test(cursor)) return null;
  const sequence = parseInt(cursor, 36);
  return Number.isSafeInteger(sequence) ? sequence : null;
}
