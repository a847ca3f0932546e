import { assertEquals } from "../../lib/assert.ts";
import type { Prediction } from "../../inference/predict.ts";
import { predictionJson } from "./prediction_json.ts";

Deno.test("predictionJson parses to the same object JSON.stringify writes", () => {
  const input = Array.from(
    { length: 784 },
    (_, i) => Math.round(((i * 37) % 1001) / 1000 * 1000) / 1000,
  );
  input[3] = 0.1234567; // not a thousandth: written the ordinary way
  input[4] = 1;
  input[5] = 0;
  const prediction: Prediction = {
    result: 7,
    probabilities: [0.1, 0.2, 1e-12, 0, 0, 0, 0, 0.7, 0, 0],
    model: "cnn-aug",
    top3: [{ digit: 7, probability: 0.7 }],
    input,
    batchSize: 3,
    timings: { decodeMs: 0.1, preprocessMs: 0.2, inferenceMs: 0.3, totalMs: 1 },
  };
  const text = predictionJson(prediction);
  // Same members and values; the field just comes last.
  const { input: _, ...rest } = prediction;
  assertEquals(JSON.stringify(JSON.parse(text)), JSON.stringify({ ...rest, input }));
  assertEquals(JSON.parse(text).input, input);
  assertEquals(text.length, JSON.stringify(prediction).length);
});
