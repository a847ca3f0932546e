/**
 * The draw page's one island: the drawing pad, live prediction and everything that shows
 * it. Props come from the server (the served models), so the first paint needs no request.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { type Backdrop, DrawingPad, drawingToPng } from "../components/drawing_pad.tsx";
import { InputPreview } from "../components/input_preview.tsx";
import { ModelInfo } from "../components/model_info.tsx";
import { ProbabilityBars } from "../components/probability_bars.tsx";
import { formatPercent, type ModelSummary } from "../web/browser/model_summary.ts";
import { formatProbability, unsureText } from "../web/browser/probability_text.ts";
import {
  isAbort,
  PredictError,
  type Prediction,
  requestPrediction,
} from "../web/browser/predict_client.ts";
import type { Stroke } from "../lib/strokes.ts";

export interface DigitLabProps {
  models: ModelSummary[];
  defaultModel: string;
}

/** Live prediction waits this long after the last movement: fast enough to feel live. */
const DRAW_DEBOUNCE_MS = 120;

export default function DigitLab({ models, defaultModel }: DigitLabProps) {
  const strokes = useRef<Stroke[]>([]).current;
  const [backdrop, setBackdrop] = useState<Backdrop | null>(null);
  const [version, setVersion] = useState(0);
  const [strokeCount, setStrokeCount] = useState(0);
  const [model, setModel] = useState(
    models.some((m) => m.name === defaultModel) ? defaultModel : models[0]?.name ?? "",
  );
  const [prediction, setPrediction] = useState<Prediction | null>(null);
  const [error, setError] = useState<PredictError | null>(null);
  const [pending, setPending] = useState(false);
  const [dragging, setDragging] = useState(false);

  // Async work reads the latest values through refs, not the render's closure.
  const latest = useRef({ backdrop, model });
  latest.current = { backdrop, model };
  const inFlight = useRef<AbortController | null>(null);
  const debounce = useRef<ReturnType<typeof setTimeout>>();
  const fileInput = useRef<HTMLInputElement>(null);

  const blank = strokeCount === 0 && backdrop === null;

  const predictNow = async (drawing = latest.current) => {
    clearTimeout(debounce.current);
    inFlight.current?.abort();
    inFlight.current = null;
    if (strokes.length === 0 && drawing.backdrop === null) {
      setPrediction(null);
      setError(null);
      setPending(false);
      return;
    }
    const controller = new AbortController();
    inFlight.current = controller;
    setPending(true);
    try {
      const png = await drawingToPng(strokes, drawing.backdrop);
      if (controller.signal.aborted) return;
      const result = await requestPrediction(png, drawing.model, controller.signal);
      setPrediction(result);
      setError(null);
    } catch (problem) {
      if (isAbort(problem)) return;
      // A stale answer beside an error would claim something about a drawing it never saw.
      setPrediction(null);
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

  const predictSoon = () => {
    clearTimeout(debounce.current);
    debounce.current = setTimeout(() => predictNow(), DRAW_DEBOUNCE_MS);
  };

  const changed = (next: { backdrop?: Backdrop | null } = {}) => {
    const drawing = { ...latest.current, ...next };
    setStrokeCount(strokes.length);
    setVersion((v) => v + 1);
    predictNow(drawing);
  };

  const undo = () => {
    if (strokes.length > 0) {
      strokes.pop();
      changed();
    } else if (latest.current.backdrop !== null) {
      setBackdrop(null);
      changed({ backdrop: null });
    }
  };

  const clear = () => {
    strokes.length = 0;
    setBackdrop(null);
    changed({ backdrop: null });
  };

  const upload = async (file: File | undefined) => {
    if (file === undefined) return;
    let image: Backdrop;
    try {
      image = await createImageBitmap(file);
    } catch {
      setError(new PredictError("unreadable_image", `The browser cannot read "${file.name}".`));
      return;
    }
    strokes.length = 0;
    setBackdrop(image);
    changed({ backdrop: image });
  };

  const chooseModel = (name: string) => {
    setModel(name);
    predictNow({ ...latest.current, model: name });
  };

  useEffect(() => {
    const onKey = (event: KeyboardEvent) => {
      const target = event.target as HTMLElement | null;
      if (target?.closest("input, select, textarea")) return;
      if ((event.ctrlKey || event.metaKey) && event.key.toLowerCase() === "z") {
        event.preventDefault();
        undo();
      }
    };
    document.addEventListener("keydown", onKey);
    return () => document.removeEventListener("keydown", onKey);
  }, []);

  const current = models.find((m) => m.name === model);
  const shown = blank ? null : prediction;

  return (
    <div class="lab">
      <section class="panel lab-draw" aria-labelledby="draw-title">
        <h2 id="draw-title" class="panel-title">Draw</h2>
        <div
          class={dragging ? "pad-frame dragging" : "pad-frame"}
          onDragOver={(event) => {
            event.preventDefault();
            setDragging(true);
          }}
          onDragLeave={() => setDragging(false)}
          onDrop={(event) => {
            event.preventDefault();
            setDragging(false);
            upload(event.dataTransfer?.files[0]);
          }}
        >
          <DrawingPad
            strokes={strokes}
            backdrop={backdrop}
            version={version}
            onStrokeStart={() => setStrokeCount(strokes.length)}
            onDraw={predictSoon}
            onStrokeEnd={() => changed()}
          />
          {blank && <p class="pad-hint" aria-hidden="true">Draw a digit here</p>}
        </div>
        <div class="toolbar">
          <button
            type="button"
            id="undo"
            onClick={undo}
            disabled={blank}
            aria-keyshortcuts="Control+Z"
          >
            Undo
          </button>
          <button type="button" id="clear" onClick={clear} disabled={blank}>Clear</button>
          <button type="button" id="upload" onClick={() => fileInput.current?.click()}>
            Upload <span class="wide-only">image</span>
          </button>
          <input
            ref={fileInput}
            id="upload-input"
            type="file"
            accept="image/*"
            hidden
            onChange={(event) => {
              const input = event.currentTarget;
              upload(input.files?.[0]);
              input.value = "";
            }}
          />
        </div>
        <p class="hint">
          Mouse, finger or pen. Drop a photo or scan of a digit on the pad to upload it. Ctrl+Z
          undoes the last stroke.
        </p>
      </section>

      <section class="panel lab-result" aria-labelledby="result-title">
        <h2 id="result-title" class="panel-title">Prediction</h2>
        <div
          class={pending ? "result pending" : "result"}
          aria-live="polite"
          aria-busy={pending}
        >
          {shown
            ? (
              <>
                <span
                  id="predicted-digit"
                  class={shown.confident === false ? "digit digit-unsure" : "digit"}
                >
                  {shown.result}
                </span>
                <span class="confidence">
                  {shown.confident === false
                    ? unsureText(shown.result, shown.runnerUp.digit)
                    : formatProbability(shown.probabilities[shown.result])}
                  <small>
                    {shown.confident === false && shown.reason ? `${shown.reason}; ` : ""}
                    {shown.confident === false
                      ? formatProbability(shown.probabilities[shown.result])
                      : "confidence"}, model {shown.model}
                  </small>
                </span>
              </>
            )
            : (
              <>
                <span class="digit digit-empty" aria-hidden="true">?</span>
                <span class="confidence">
                  {blank ? "Draw a digit" : error ? "No prediction" : "Reading your digit…"}
                </span>
              </>
            )}
        </div>
        {error && (
          <div class="error" role="alert">
            <strong>
              {error.code === "unreachable" ? "Server unreachable" : "Could not predict"}
            </strong>
            <span>{error.message}</span>
            {error.code !== "unreachable" && <small>({error.code})</small>}
          </div>
        )}
      </section>

      <section class="panel lab-details" aria-label="Details of the prediction">
        <ProbabilityBars
          probabilities={shown?.probabilities ?? null}
          predicted={shown?.result ?? null}
        />
        <div class="seen">
          <InputPreview input={shown?.input ?? null} />
          <p>
            What the model saw: the drawing cropped, scaled into 20×20 and centred in 28×28, like
            MNIST.
            {shown && (
              <small class="timings">
                Inference {shown.timings.inferenceMs.toFixed(2)} ms, total{" "}
                {shown.timings.totalMs.toFixed(1)} ms on the server.
              </small>
            )}
          </p>
        </div>
        {models.length === 0
          ? <p class="error" role="alert">The server has no models loaded.</p>
          : (
            <>
              <label class="picker">
                <span>Model</span>
                <select
                  id="model"
                  value={model}
                  onChange={(event) => chooseModel(event.currentTarget.value)}
                >
                  {models.map((m) => (
                    <option key={m.name} value={m.name}>
                      {m.name} ({formatPercent(m.testAccuracy)})
                    </option>
                  ))}
                </select>
              </label>
              {current && <ModelInfo model={current} />}
            </>
          )}
      </section>
    </div>
  );
}
