/**
 * The page UX browser test's hands and eyes: a phone context, a log of when the pen went down
 * and up and each answer was painted, slow and touch strokes, and layout checks.
 *
 * @module
 */
import type { Browser, BrowserContext, Page } from "playwright-core";
import assert from "node:assert/strict";
import { padBox } from "./browser_page.ts";

export function phoneContext(
  browser: Browser,
  width: number,
  height: number,
  scheme: "light" | "dark",
) {
  return browser.newContext({
    viewport: { width, height },
    deviceScaleFactor: 2,
    isMobile: true,
    hasTouch: true,
    colorScheme: scheme,
  });
}

/** Records in the page when the pen goes down and up and when an answer is painted. */
export async function watchAnswers(page: Page) {
  await page.evaluate(() => {
    const log = { penDown: null as number | null, penUp: null as number | null };
    const state = globalThis as unknown as {
      answerLog: typeof log & { shown: number[]; digits: string[] };
    };
    state.answerLog = { ...log, shown: [], digits: [] };
    const pad = document.querySelector("canvas.pad")!;
    pad.addEventListener("pointerdown", () => (state.answerLog.penDown = performance.now()));
    pad.addEventListener("pointerup", () => (state.answerLog.penUp = performance.now()));
    // Every answer sets the bars' probabilities: one style change per answer painted.
    new MutationObserver(() => {
      const digit = document.querySelector("#predicted-digit")?.textContent;
      if (!digit) return;
      const entry = state.answerLog;
      const now = performance.now();
      if (entry.shown.length === 0 || now - entry.shown[entry.shown.length - 1] > 8) {
        entry.shown.push(now);
        entry.digits.push(digit);
      }
    }).observe(document.querySelector(".lab-result")!, {
      subtree: true,
      attributes: true,
      attributeFilter: ["style"],
      childList: true,
      characterData: true,
    });
  });
}

export function resetAnswerLog(page: Page) {
  return page.evaluate(() => {
    const state = globalThis as unknown as {
      answerLog: { penDown: null; penUp: null; shown: number[]; digits: string[] };
    };
    Object.assign(state.answerLog, { penDown: null, penUp: null, shown: [], digits: [] });
  });
}

export function answerLog(page: Page) {
  return page.evaluate(() =>
    (globalThis as unknown as {
      answerLog: {
        penDown: number | null;
        penUp: number | null;
        shown: number[];
        digits: string[];
      };
    }).answerLog
  );
}

export const ellipseAt = (cx: number, cy: number, rx: number, ry: number) => (f: number) => {
  const angle = -Math.PI / 2 + f * Math.PI * 2 * 1.05;
  return [cx + rx * Math.cos(angle), cy + ry * Math.sin(angle)] as [number, number];
};

/** One continuous stroke lasting `ms`, the pointer moving every frame or so, as a hand does. */
export async function drawSlowStroke(
  page: Page,
  box: { x: number; y: number; width: number; height: number },
  ms: number,
  path: (fraction: number) => [number, number],
) {
  const at = ([x, y]: [number, number]) => [box.x + x * box.width, box.y + y * box.height] as const;
  await page.mouse.move(...at(path(0)));
  await page.mouse.down();
  const started = performance.now();
  for (let elapsed = 0; elapsed < ms; elapsed = performance.now() - started) {
    await page.mouse.move(...at(path(elapsed / ms)));
    await new Promise((resolve) => setTimeout(resolve, 16));
  }
  await page.mouse.move(...at(path(1)));
  await page.mouse.up();
}

/** Touches down, draws most of a 7, runs `look` with the finger still down, then lifts it. */
export async function touchStrokeAndLook(
  page: Page,
  context: BrowserContext,
  look: () => Promise<void>,
) {
  const cdp = await context.newCDPSession(page);
  const box = await padBox(page);
  const points = [[0.28, 0.2], [0.72, 0.2], [0.58, 0.5], [0.44, 0.82]].map(([x, y]) => ({
    x: box.x + x * box.width,
    y: box.y + y * box.height,
  }));
  const steps: { x: number; y: number }[] = [];
  for (let i = 1; i < points.length; i++) {
    for (let s = 0; s <= 12; s++) {
      steps.push({
        x: points[i - 1].x + ((points[i].x - points[i - 1].x) * s) / 12,
        y: points[i - 1].y + ((points[i].y - points[i - 1].y) * s) / 12,
      });
    }
  }
  await cdp.send("Input.dispatchTouchEvent", { type: "touchStart", touchPoints: [steps[0]] });
  for (const point of steps.slice(1)) {
    await cdp.send("Input.dispatchTouchEvent", { type: "touchMove", touchPoints: [point] });
    await new Promise((resolve) => setTimeout(resolve, 8));
  }
  await page.waitForSelector("#predicted-digit"); // answered mid-stroke, finger still down
  await look();
  await cdp.send("Input.dispatchTouchEvent", { type: "touchEnd", touchPoints: [] });
  await cdp.detach();
}

export function waitForSettled(page: Page) {
  return page.waitForFunction(() =>
    document.querySelector("#predicted-digit") && !document.querySelector(".lab-result.pending")
  );
}

export async function assertInViewport(page: Page, selector: string) {
  const box = await page.locator(selector).first().boundingBox();
  const viewport = page.viewportSize()!;
  assert(box !== null, `${selector} is not shown`);
  assert(
    box.y >= 0 && box.y + box.height <= viewport.height && box.x >= 0 &&
      box.x + box.width <= viewport.width,
    `${selector} is outside the ${viewport.width}x${viewport.height} screen: ${
      JSON.stringify(box)
    }`,
  );
}

/** How many visible elements' own text is exactly `text`. */
export function countVisibleText(page: Page, text: string): Promise<number> {
  return page.evaluate((wanted) => {
    let count = 0;
    for (const element of document.body.querySelectorAll("*")) {
      const own = [...element.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE)
        .map((n) => n.textContent).join("").trim();
      if (own === wanted && (element as HTMLElement).offsetParent !== null) count++;
    }
    return count;
  }, text);
}

export function isDark(color: string): boolean {
  const [r, g, b] = color.match(/\d+/g)!.map(Number);
  return (r + g + b) / 3 < 60;
}
