/**
 * The buttons under the pad (Undo, Clear, Upload) and the hint on how to draw, worded for the
 * device: a touch screen hears nothing of keyboards and dropping files.
 *
 * Undo and Clear are never `disabled`: a disabled button drops keyboard focus to the top of
 * the page, so after Clear focus would leave the pad. `aria-disabled` keeps it in place.
 */
import { useRef } from "preact/hooks";

export interface PadControlsProps {
  canUndo: boolean;
  canClear: boolean;
  onUndo(): void;
  onClear(): void;
  /** A file the user picked; undefined when the picker was closed without one. */
  onUpload(file: File | undefined): void;
}

export function PadControls({ canUndo, canClear, onUndo, onClear, onUpload }: PadControlsProps) {
  const fileInput = useRef<HTMLInputElement>(null);
  return (
    <>
      <div class="toolbar">
        <button
          type="button"
          id="undo"
          onClick={() => canUndo && onUndo()}
          aria-disabled={!canUndo}
          aria-keyshortcuts="Control+Z"
        >
          Undo
        </button>
        <button
          type="button"
          id="clear"
          onClick={() => canClear && onClear()}
          aria-disabled={!canClear}
        >
          Clear
        </button>
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
            onUpload(input.files?.[0]);
            input.value = "";
          }}
        />
      </div>
      <p class="hint hint-pointer">
        Draw with the mouse or a pen. Drop a photo or scan of a digit on the pad to upload it;
        Ctrl+Z undoes the last stroke.
      </p>
      <p class="hint hint-touch">
        Draw with your finger. Upload reads a photo of a digit.
      </p>
    </>
  );
}
