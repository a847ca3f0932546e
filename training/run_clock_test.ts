import { deepStrictEqual } from "node:assert/strict";
import { formatRemaining, RunClock } from "./run_clock.ts";

Deno.test("the overall ETA counts every model's epochs, scaled by the speed measured so far", () => {
  const clock = new RunClock([
    { name: "mlp", epochs: 2, epochsDone: 0, guessSeconds: 10 },
    { name: "cnn", epochs: 3, epochsDone: 0, guessSeconds: 100 },
  ]);
  deepStrictEqual(clock.remainingSeconds(), 2 * 10 + 3 * 100);
  // This machine runs at half the guessed speed: cnn's guess doubles too.
  clock.epochDone("mlp", 20);
  deepStrictEqual(clock.remainingSeconds(), 20 + 3 * 200);
  clock.epochDone("mlp", 20);
  clock.epochDone("cnn", 150);
  deepStrictEqual(clock.remainingSeconds(), 2 * 150);
});

Deno.test("a resumed model counts only the epochs it has left", () => {
  const clock = new RunClock([{ name: "cnn-aug", epochs: 16, epochsDone: 15, guessSeconds: 200 }]);
  deepStrictEqual(clock.remainingSeconds(), 200);
});

Deno.test("formatRemaining rounds the way a person plans", () => {
  deepStrictEqual(formatRemaining(38 * 60 + 10), "about 38 min");
  deepStrictEqual(formatRemaining(5000), "about 1 h 23 min");
  deepStrictEqual(formatRemaining(44), "about 40 s");
});
