/**
 * The number page's one island: write a whole number, see each digit found with its box, its
 * reading and the model's confidence, and (unless `--feedback off`) correct each digit on its own:
 * the correction stores that digit's crop of the pad, so the example is one digit.
 */
import { useRef, useState } from "preact/hooks";
import { FeedbackControls } from "../components/feedback_controls.tsx";
import { digitToPng, NumberPad, numberToPng, type PadBox } from "../components/number_pad.tsx";
import { sendCorrection } from "../web/browser/feedback_client.ts";
import { formatPercent } from "../web/browser/model_summary.ts";
import { type NumberPrediction, requestNumber } from "../web/browser/number_client.ts";
import { isAbort, PredictError } from "../web/browser/predict_client.ts";
import type { Stroke } from "../lib/strokes.ts";

export interface NumberLabProps {
  defaultModel: string;
  /** Show "right" / "it's a ..." under each digit read (off with `--feedback off`). */
  feedback?: boolean;
}

/** Reading waits this long after the pen lifts: a number takes several strokes. */
const STROKE_END_DEBOUNCE_MS = 250;

export default function NumberLab({ defaultModel, feedback = false }: NumberLabProps) {
  const strokes = useRef<Stroke[]>([]).current;
  const [version, setVersion] = useState(0);
  const [answer, setAnswer] = useState<NumberPrediction | null>(null);
  const [error, setError] = useState<PredictError | null>(null);
  const [pending, setPending] = useState(false);
  const inFlight = useRef<AbortController | null>(null);
  const debounce = useRef<ReturnType<typeof setTimeout>>();
  // The strokes the shown answer read: a correction crops these, not ink drawn since.
  const answerStrokes = useRef<Stroke[]>([]);

  const readNow = async () => {
    clearTimeout(debounce.current);
    inFlight.current?.abort();
    if (strokes.length === 0) {
      setAnswer(null);
      setError(null);
      setPending(false);
      return;
    }
    const controller = new AbortController();
    inFlight.current = controller;
    setPending(true);
    try {
      const read = strokes.map((stroke) => [...stroke]);
      const png = await numberToPng(read);
      if (controller.signal.aborted) return;
      const next = await requestNumber(png, read, defaultModel, controller.signal);
      answerStrokes.current = read;
      setAnswer(next);
      setError(null);
    } catch (problem) {
      if (isAbort(problem)) return;
      setAnswer(null);
      setError(
        problem instanceof PredictError
          ? problem
          : new PredictError("client_error", `Something went wrong in the page: ${problem}`),
      );
    } finally {
      if (inFlight.current === controller) {
        inFlight.current = null;
        setPending(false);
      }
    }
  };

  const changed = () => {
    setVersion((v) => v + 1);
    clearTimeout(debounce.current);
    debounce.current = setTimeout(readNow, STROKE_END_DEBOUNCE_MS);
  };

  const undo = () => {
    strokes.pop();
    setAnswer(null);
    changed();
  };

  const clear = () => {
    strokes.length = 0;
    setAnswer(null);
    changed();
  };

  const saveDigit = async (label: number, digit: NumberPrediction["digits"][number]) =>
    sendCorrection({
      image: await digitToPng(answerStrokes.current, digit.box),
      label,
      predicted: digit.result,
      model: answer?.model ?? null,
      strokes: [], // the pad's strokes are in the number's coordinates, not the crop's
    });

  const blank = strokes.length === 0;
  const boxes: PadBox[] = answer?.digits.map((d) => ({ ...d.box, confident: d.confident })) ?? [];

  return (
    <section class="panel number-lab" aria-labelledby="number-title">
      <h2 id="number-title" class="panel-title">Write a number</h2>
      <div class="pad-frame number-frame">
        <NumberPad
          strokes={strokes}
          version={version}
          boxes={boxes}
          onDraw={() => clearTimeout(debounce.current)}
          onStrokeEnd={changed}
        />
        {blank && <p class="pad-hint" aria-hidden="true">Write a number here, e.g. 2026</p>}
      </div>
      <div class="toolbar">
        <button type="button" id="number-undo" onClick={undo} disabled={blank}>Undo</button>
        <button type="button" id="number-clear" onClick={clear} disabled={blank}>Clear</button>
      </div>
      <div
        class={pending ? "number-result pending" : "number-result"}
        aria-live="polite"
        aria-busy={pending}
      >
        {answer && !blank
          ? (
            <>
              <p class="number-read">
                <span id="read-number" class="digit">{answer.number}</span>
                <small>model {answer.model}</small>
              </p>
              <ol class="number-digits">
                {answer.digits.map((digit, k) => (
                  <li key={k} class={digit.confident ? "confident" : "unsure"}>
                    <span class="digit-reading">{digit.result}</span>
                    <span class="digit-confidence">
                      {formatPercent(digit.probabilities[digit.result], 1)}
                      {digit.confident ? "" : " (unsure)"}
                    </span>
                  </li>
                ))}
              </ol>
              {feedback && (
                <ol class="number-feedback" aria-label="Correct each digit">
                  {answer.digits.map((digit, k) => (
                    <li key={k}>
                      <FeedbackControls
                        predicted={digit.result}
                        drawingKey={`${version}`}
                        save={(label) => saveDigit(label, digit)}
                        idPrefix={`feedback-${k}`}
                        title={`Digit ${k + 1}: was ${digit.result} right?`}
                        keys={false}
                      />
                    </li>
                  ))}
                </ol>
              )}
            </>
          )
          : (
            <p class="muted">
              {blank
                ? "Each digit gets a box, a reading and a confidence."
                : error
                ? ""
                : "Reading…"}
            </p>
          )}
      </div>
      {error && (
        <div class="error" role="alert">
          <strong>Could not read the number</strong>
          <span>{error.message}</span>
          <small>({error.code})</small>
        </div>
      )}
    </section>
  );
}
