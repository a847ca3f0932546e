/**
 * The draw page's one island: the pad and its controls, live prediction, and the panels that
 * show it. Props come from the server (the served models), so the first paint needs no
 * request. The parts live in components/ (AnswerPanel, PadControls, ModelPicker, ModelInfo)
 * and web/browser/use_predict_loop.ts (when to ask and what is on show); this file wires them up.
 */
import { useEffect, useRef, useState } from "preact/hooks";
import { AnswerPanel } from "../components/answer_panel.tsx";
import { type Backdrop, DrawingPad, drawingToPng } from "../components/drawing_pad.tsx";
import { InputPreview } from "../components/input_preview.tsx";
import { ModelInfo } from "../components/model_info.tsx";
import { ModelPicker } from "../components/model_picker.tsx";
import { PadControls } from "../components/pad_controls.tsx";
import type { ModelSummary } from "../web/browser/model_summary.ts";
import { PredictError, requestPrediction } from "../web/browser/predict_client.ts";
import type { Stroke } from "../lib/strokes.ts";
import { usePredictLoop } from "../web/browser/use_predict_loop.ts";

export interface DigitLabProps {
  models: ModelSummary[];
  defaultModel: string;
}

export default function DigitLab({ models, defaultModel }: DigitLabProps) {
  const strokes = useRef<Stroke[]>([]).current;
  const [backdrop, setBackdrop] = useState<Backdrop | null>(null);
  const [version, setVersion] = useState(0);
  const [strokeCount, setStrokeCount] = useState(0);
  const [model, setModel] = useState(
    models.some((m) => m.name === defaultModel) ? defaultModel : models[0]?.name ?? "",
  );
  const [dragging, setDragging] = useState(false);

  // Requests read the drawing as it is when they go, not as it was at this render.
  const latest = useRef({ backdrop, model });
  latest.current = { backdrop, model };
  const live = usePredictLoop(async (signal) => {
    const png = await drawingToPng(strokes, latest.current.backdrop);
    signal.throwIfAborted();
    return requestPrediction(png, latest.current.model, signal);
  });

  const blank = strokeCount === 0 && backdrop === null;

  /** After undo, clear or upload: repaint and ask about the new drawing at once. */
  const replaced = (next: { backdrop?: Backdrop | null } = {}) => {
    latest.current = { ...latest.current, ...next };
    setStrokeCount(strokes.length);
    setVersion((v) => v + 1);
    if (strokes.length === 0 && latest.current.backdrop === null) live.reset();
    else live.changed("now");
  };

  const undo = () => {
    if (strokes.length > 0) {
      strokes.pop();
      replaced();
    } else if (latest.current.backdrop !== null) {
      setBackdrop(null);
      replaced({ backdrop: null });
    }
  };

  const clear = () => {
    strokes.length = 0;
    setBackdrop(null);
    replaced({ backdrop: null });
  };

  const upload = async (file: File | undefined) => {
    if (file === undefined) return;
    let image: Backdrop;
    try {
      image = await createImageBitmap(file);
    } catch {
      live.fail(new PredictError("unreadable_file", `The browser cannot read "${file.name}".`));
      return;
    }
    strokes.length = 0;
    setBackdrop(image);
    replaced({ backdrop: image });
  };

  const chooseModel = (name: string) => {
    setModel(name);
    latest.current = { ...latest.current, model: name };
    if (!blank) live.changed("now");
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
  const shown = blank ? null : live.prediction;

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
            onDraw={() => live.changed("moving")}
            onStrokeEnd={() => {
              setStrokeCount(strokes.length);
              live.changed("now");
            }}
          />
          {blank && <p class="pad-hint" aria-hidden="true">Write 0–9 here</p>}
        </div>
        <PadControls
          canUndo={!blank}
          canClear={!blank}
          onUndo={undo}
          onClear={clear}
          onUpload={upload}
        />
      </section>

      <AnswerPanel
        prediction={shown}
        blank={blank}
        pending={live.pending && !blank}
        error={live.error}
        retryAt={live.retryAt}
        onRetry={live.retry}
        picker={models.length === 0
          ? <p class="error" role="alert">The server has no models loaded.</p>
          : <ModelPicker models={models} value={model} onChange={chooseModel} />}
      />

      <section class="panel lab-details" aria-label="What the model saw, and the model">
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
        {current && <ModelInfo model={current} />}
      </section>
    </div>
  );
}
