/**
 * Why there is no answer, in plain words, with a Retry button when trying later can help
 * (busy server, no network). The button waits out the server's Retry-After, counting down.
 */
import { useEffect, useState } from "preact/hooks";
import { errorText } from "../web/browser/error_text.ts";
import type { PredictError } from "../web/browser/predict_client.ts";

export interface ErrorNoticeProps {
  error: PredictError;
  /** When Retry may be pressed (performance.now() time), null for at once. */
  retryAt: number | null;
  onRetry(): void;
}

export function ErrorNotice({ error, retryAt, onRetry }: ErrorNoticeProps) {
  const text = errorText(error.code);
  const wait = useSecondsUntil(retryAt);
  return (
    <div class="error" role="alert">
      <strong>{text.title}.</strong> <span>{text.advice}</span>
      {error.retryable && (
        <button
          type="button"
          id="retry"
          class="retry"
          onClick={onRetry}
          disabled={wait > 0}
        >
          {wait > 0 ? `Retry in ${wait} s` : "Retry"}
        </button>
      )}
    </div>
  );
}

/** Whole seconds left until `time` (performance.now() based), ticking down to 0. */
function useSecondsUntil(time: number | null): number {
  const left = () => time === null ? 0 : Math.max(0, Math.ceil((time - performance.now()) / 1000));
  const [seconds, setSeconds] = useState(left);
  useEffect(() => {
    setSeconds(left());
    if (time === null) return;
    const timer = setInterval(() => {
      const now = left();
      setSeconds(now);
      if (now === 0) clearInterval(timer);
    }, 250);
    return () => clearInterval(timer);
  }, [time]);
  return seconds;
}
