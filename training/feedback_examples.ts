/**
 * Feedback as training data, for `deno task train --feedback SOURCE` (issue #15): reads the
 * stored corrections from an export file (JSON Lines, GET /feedback/export), the SQLite file
 * itself (read-only, safe beside a running server) or a server URL with the admin token; turns
 * each drawing into the 28x28 field the server's preprocessing makes; and holds out the newest
 * 20% by time, so the score after fine-tuning is on drawings the model never trained on.
 *
 * @module
 */
import { DatabaseSync } from "node:sqlite";
import { decodeImage } from "../inference/image_decode.ts";
import { mnistField } from "../lib/preprocess.ts";
import type { FeedbackRecord } from "../feedback/store.ts";

/** One correction, ready to train on. */
export interface FeedbackExample {
  id: string;
  createdAt: string;
  label: number;
  predicted: number | null;
  /** 28x28, row-major, 0..1 ink: what /predict feeds the model before normalisation. */
  field: Float32Array;
}

/** The JSON Lines records of an export (a file or a server's GET /feedback/export). */
export function parseExport(text: string): FeedbackRecord[] {
  return text.split("\n").filter((line) => line.trim() !== "").map((line, index) => {
    let value: { image?: unknown; [key: string]: unknown };
    try {
      value = JSON.parse(line);
    } catch {
      throw new Error(`line ${index + 1} of the export is not JSON`);
    }
    if (typeof value.image !== "string" || typeof value.label !== "number") {
      throw new Error(`line ${index + 1} of the export has no image or label`);
    }
    return { ...value, image: Uint8Array.fromBase64(value.image) } as unknown as FeedbackRecord;
  });
}

/**
 * The records of SOURCE: `http(s)://host:port` (with `token`), a `.jsonl` export, or a SQLite
 * feedback database.
 */
export async function readFeedbackSource(
  source: string,
  token: string | null = null,
): Promise<FeedbackRecord[]> {
  if (/^https?:\/\//.test(source)) {
    if (!token) throw new Error("reading feedback from a server needs the admin token");
    const response = await fetch(new URL("/feedback/export", source), {
      headers: { Authorization: `Bearer ${token}` },
    });
    if (!response.ok) {
      throw new Error(`${source} answered ${response.status}: ${await response.text()}`);
    }
    return parseExport(await response.text());
  }
  const head = new Uint8Array(16);
  const file = await Deno.open(source);
  await file.read(head);
  file.close();
  if (new TextDecoder().decode(head).startsWith("SQLite format 3")) return readSqlite(source);
  return parseExport(await Deno.readTextFile(source));
}

function readSqlite(path: string): FeedbackRecord[] {
  const db = new DatabaseSync(path, { readOnly: true, timeout: 5000 });
  try {
    const rows = db.prepare(
      "SELECT id, label, predicted, model, created_at, strokes, image, image_type FROM feedback ORDER BY seq",
    ).all();
    return rows.map((row) => ({
      id: String(row.id),
      label: Number(row.label),
      predicted: row.predicted === null ? null : Number(row.predicted),
      model: row.model === null ? null : String(row.model),
      createdAt: String(row.created_at),
      strokes: row.strokes === null ? null : JSON.parse(String(row.strokes)),
      image: row.image as Uint8Array,
      imageType: String(row.image_type) as FeedbackRecord["imageType"],
    }));
  } finally {
    db.close();
  }
}

/** Each record's MNIST field, oldest first; drawings that no longer decode are skipped. */
export async function feedbackExamples(records: FeedbackRecord[]): Promise<FeedbackExample[]> {
  const examples: FeedbackExample[] = [];
  for (const record of records) {
    try {
      const field = mnistField((await decodeImage(record.image)).image);
      const { id, createdAt, label, predicted } = record;
      examples.push({ id, createdAt, label, predicted, field });
    } catch {
      // Stored examples were checked on the way in; a failure here means a changed decoder.
    }
  }
  return examples.sort((a, b) => a.createdAt.localeCompare(b.createdAt));
}

/** The newest `fraction` (by createdAt) held out for scoring; the rest to train on. */
export function holdOutNewest<T extends { createdAt: string }>(
  examples: readonly T[],
  fraction = 0.2,
): { train: T[]; heldOut: T[] } {
  const sorted = [...examples].sort((a, b) => a.createdAt.localeCompare(b.createdAt));
  const held = Math.ceil(sorted.length * fraction);
  return {
    train: sorted.slice(0, sorted.length - held),
    heldOut: sorted.slice(sorted.length - held),
  };
}
