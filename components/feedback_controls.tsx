/**
 * "Right" and "it's a ..." under an answer: one tap (or a key, 0-9) stores the drawing with
 * the right label through POST /feedback. Saving runs in the background: drawing goes on, and a
 * short confirmation and this browser's contribution count say it arrived.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { contributedCount, countContribution } from "../web/browser/feedback_client.ts";

export interface FeedbackControlsProps {
  /** The digit the model answered for the drawing on the pad. */
  predicted: number;
  /** Changes whenever the drawing does: a new drawing can be corrected again. */
  drawingKey: string;
  /** Stores the drawing as `label`; rejects with a message to show. */
  save(label: number): Promise<unknown>;
  /** Prefix of the element ids, unique per control on a page (one per digit of a number). */
  idPrefix?: string;
  /** The question asked; "Was it right?" by default. */
  title?: string;
  /** Whether keys 0-9 correct: only where the page has one control. */
  keys?: boolean;
}

type Status =
  | { kind: "idle" }
  | { kind: "saving"; label: number }
  | { kind: "saved"; label: number }
  | { kind: "failed"; message: string };

const DIGITS = [0, 1, 2, 3, 4, 5, 6, 7, 8, 9];

export function FeedbackControls(
  { predicted, drawingKey, save, idPrefix = "feedback", title = "Was it right?", keys = true }:
    FeedbackControlsProps,
) {
  const [status, setStatus] = useState<Status>({ kind: "idle" });
  const [count, setCount] = useState(0);
  const savedFor = useRef<string | null>(null);
  const latest = useRef({ drawingKey, save });
  latest.current = { drawingKey, save };

  // The count lives in this browser's storage, which the server-rendered page cannot read.
  useEffect(() => setCount(contributedCount()), []);
  useEffect(() => {
    if (savedFor.current !== drawingKey) setStatus({ kind: "idle" });
  }, [drawingKey]);

  const correct = async (label: number) => {
    const version = latest.current.drawingKey;
    if (savedFor.current === version) return; // one correction per drawing
    savedFor.current = version;
    setStatus({ kind: "saving", label });
    try {
      await latest.current.save(label);
      setCount(countContribution());
      if (latest.current.drawingKey === version) setStatus({ kind: "saved", label });
    } catch (error) {
      savedFor.current = null;
      setStatus({ kind: "failed", message: (error as Error).message });
    }
  };

  useEffect(() => {
    if (!keys) return;
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest("input, select, textarea")) return;
      if (event.ctrlKey || event.metaKey || event.altKey || !/^[0-9]$/.test(event.key)) return;
      event.preventDefault();
      correct(Number(event.key));
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, [keys]);

  const done = status.kind === "saving" || status.kind === "saved";
  return (
    <div class="feedback" role="group" aria-labelledby={`${idPrefix}-title`}>
      <p id={`${idPrefix}-title`} class="feedback-title">
        {title} <small>Your corrections teach the model{keys ? " (keys 0-9)" : ""}.</small>
      </p>
      <div class="feedback-buttons">
        <button
          type="button"
          id={`${idPrefix}-right`}
          class="feedback-right"
          disabled={done}
          onClick={() => correct(predicted)}
        >
          Right
        </button>
        <span class="feedback-its">It's a</span>
        {DIGITS.map((digit) => (
          <button
            type="button"
            key={digit}
            class="feedback-digit"
            data-digit={digit}
            aria-label={`It's a ${digit}`}
            aria-keyshortcuts={keys ? String(digit) : undefined}
            disabled={done}
            onClick={() => correct(digit)}
          >
            {digit}
          </button>
        ))}
      </div>
      <p class="feedback-status" id={`${idPrefix}-status`} aria-live="polite">
        {status.kind === "saving" && `Saving as ${status.label}…`}
        {status.kind === "saved" && `Saved as ${status.label}. Thank you!`}
        {status.kind === "failed" && <span class="error-text">Not saved: {status.message}</span>}
        {count > 0 && (
          <small id={`${idPrefix}-count`} class="feedback-count">
            {status.kind === "idle" ? "" : " "}
            {`This browser has contributed ${count} drawing${count === 1 ? "" : "s"}.`}
          </small>
        )}
      </p>
    </div>
  );
}
