/**
 * The 28x28 image the model saw, enlarged with crisp pixels. White ink on black, as MNIST
 * looks and as the model was trained. Before there is one, a labelled placeholder: a black
 * square would look broken.
 */
import { useEffect, useRef } from "preact/hooks";

export const INPUT_SIDE = 28;

export interface InputPreviewProps {
  /** 784 values 0..1 (1 = ink), row-major; null shows the placeholder. */
  input: number[] | null;
}

export function InputPreview({ input }: InputPreviewProps) {
  const canvasRef = useRef<HTMLCanvasElement>(null);
  useEffect(() => {
    const context = canvasRef.current!.getContext("2d")!;
    if (input === null) {
      context.clearRect(0, 0, INPUT_SIDE, INPUT_SIDE);
      return;
    }
    const image = context.createImageData(INPUT_SIDE, INPUT_SIDE);
    for (let i = 0; i < INPUT_SIDE * INPUT_SIDE; i++) {
      const level = Math.round(Math.min(1, Math.max(0, input[i] ?? 0)) * 255);
      image.data.set([level, level, level, 255], i * 4);
    }
    context.putImageData(image, 0, 0);
  }, [input]);
  return (
    <div class={input === null ? "preview preview-empty" : "preview"}>
      <canvas
        ref={canvasRef}
        width={INPUT_SIDE}
        height={INPUT_SIDE}
        role="img"
        aria-label="The 28 by 28 pixel image the model received"
        hidden={input === null}
      />
      {input === null && <span>28×28 input appears here</span>}
    </div>
  );
}
