/**
 * The draw page's answer: the digit and its confidence, the model picker beside it, what went
 * wrong when nothing can be shown, and the ten probabilities. Everything a person watches
 * while drawing sits in this one panel, so a phone shows it above the pad.
 */
import type { ComponentChildren } from "preact";
import type { Prediction } from "../web/browser/predict_client.ts";
import type { PredictError } from "../web/browser/predict_client.ts";
import { formatProbability, unsureText } from "../web/browser/probability_text.ts";
import { ErrorNotice } from "./error_notice.tsx";
import { ProbabilityBars } from "./probability_bars.tsx";

export interface AnswerPanelProps {
  /** The answer to show; null when there is none (blank pad, error, not yet answered). */
  prediction: Prediction | null;
  /** The pad is empty. */
  blank: boolean;
  /** A newer answer is on its way: the one shown is dimmed. */
  pending: boolean;
  error: PredictError | null;
  /** When Retry may be pressed (performance.now() time), null for at once. */
  retryAt: number | null;
  onRetry(): void;
  /** The model picker, shown beside the answer. */
  picker: ComponentChildren;
}

export function AnswerPanel(props: AnswerPanelProps) {
  const { prediction, pending } = props;
  return (
    <section
      class={pending ? "panel lab-result pending" : "panel lab-result"}
      aria-labelledby="result-title"
    >
      <h2 id="result-title" class="panel-title">Prediction</h2>
      <div class="answer">
        <div class="result" aria-live="polite" aria-busy={pending}>
          <Verdict prediction={prediction} blank={props.blank} failed={props.error !== null} />
        </div>
        {props.picker}
      </div>
      {props.error && (
        <ErrorNotice error={props.error} retryAt={props.retryAt} onRetry={props.onRetry} />
      )}
      <ProbabilityBars
        probabilities={prediction?.probabilities ?? null}
        predicted={prediction?.result ?? null}
      />
    </section>
  );
}

interface VerdictProps {
  prediction: Prediction | null;
  blank: boolean;
  failed: boolean;
}

/** The digit and how sure the model is; a question mark and a word on the state otherwise. */
export function Verdict({ prediction, blank, failed }: VerdictProps) {
  if (prediction === null) {
    return (
      <>
        <span class="digit digit-empty" aria-hidden="true">?</span>
        <span class="confidence">
          {blank ? "Waiting for ink" : failed ? "No answer" : "Reading…"}
        </span>
      </>
    );
  }
  return (
    <>
      <span
        id="predicted-digit"
        class={prediction.confident === false ? "digit digit-unsure" : "digit"}
      >
        {prediction.result}
      </span>
      <span class="confidence">
        {prediction.confident === false
          ? unsureText(prediction.result, prediction.runnerUp.digit)
          : formatProbability(prediction.probabilities[prediction.result])}
        <small>
          {prediction.confident === false && prediction.reason ? `${prediction.reason}; ` : ""}
          {prediction.confident === false
            ? formatProbability(prediction.probabilities[prediction.result])
            : "confidence"}, model {prediction.model}
        </small>
      </span>
    </>
  );
}
