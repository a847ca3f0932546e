/**
 * The draw page's prediction state as a Preact hook around PredictLoop: the answer on show,
 * the error that replaced it, whether a newer answer is on its way, and when Retry may go.
 *
 * @module
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { PredictError, type Prediction } from "./predict_client.ts";
import { type ChangeKind, PredictLoop } from "./predict_loop.ts";

export interface LivePrediction {
  /** The answer for the newest drawing sent; null before one, after Clear or an error. */
  prediction: Prediction | null;
  error: PredictError | null;
  /** A newer drawing than the answer on show is on its way: dim the answer. */
  pending: boolean;
  /** When Retry may be pressed (a performance.now() time), or null when it may at once. */
  retryAt: number | null;
  /** The drawing changed: `moving` while the pen is down (throttled), `now` otherwise. */
  changed(kind: ChangeKind): void;
  /** The pad is blank again. */
  reset(): void;
  retry(): void;
  /** A failure found in the page itself (an unreadable file): shown like the server's. */
  fail(error: PredictError): void;
}

/** `send` posts the drawing as it is when called; the hook always calls the latest one. */
export function usePredictLoop(
  send: (signal: AbortSignal) => Promise<Prediction>,
): LivePrediction {
  const sendRef = useRef(send);
  sendRef.current = send;
  const [prediction, setPrediction] = useState<Prediction | null>(null);
  const [error, setError] = useState<PredictError | null>(null);
  const [pending, setPending] = useState(false);
  const [retryAt, setRetryAt] = useState<number | null>(null);

  const loopRef = useRef<PredictLoop<Prediction> | null>(null);
  if (loopRef.current === null) {
    const loop: PredictLoop<Prediction> = new PredictLoop<Prediction>({
      send: (signal) => sendRef.current(signal),
      onAnswer(answer) {
        setPrediction(answer);
        setError(null);
        setRetryAt(null);
      },
      onError(problem) {
        // A stale answer beside an error would claim something about a drawing it never saw.
        setPrediction(null);
        setError(asPredictError(problem));
        setRetryAt(loop.blockedUntil);
      },
      onPending: setPending,
      retryDelayMs: (problem) =>
        problem instanceof PredictError && problem.retryable ? problem.retryAfterMs ?? 0 : null,
    });
    loopRef.current = loop;
  }
  const loop = loopRef.current;
  useEffect(() => () => loop.dispose(), []);

  return {
    prediction,
    error,
    pending,
    retryAt,
    changed: (kind) => loop.changed(kind),
    reset() {
      loop.reset();
      setPrediction(null);
      setError(null);
      setRetryAt(null);
    },
    retry() {
      setRetryAt(null);
      loop.retry();
    },
    fail(problem) {
      loop.reset();
      setPrediction(null);
      setError(problem);
      setRetryAt(null);
    },
  };
}

function asPredictError(problem: unknown): PredictError {
  return problem instanceof PredictError
    ? problem
    : new PredictError("client_error", `Something went wrong in the page: ${problem}`);
}
