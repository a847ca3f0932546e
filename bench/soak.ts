/**
 * Soak: `deno task bench:soak [--seconds 60] [--connections 64] [--warm-up 10] [--models DIR]`.
 *
 * Starts the server (main.ts, release permissions, loopback, a free port) and keeps
 * `connections` clients posting to `/predict` for `seconds`: three in four requests are drawn
 * digits (0, 1, 4, 7 at several sizes, PNG and JPEG-free canvas PNGs), one in four a bad input
 * from the fuzz generator (no bombs: they measure the decoder, not the soak). Passes when every
 * valid request got 200 with the same digit it gets alone, every bad one a JSON 4xx, nothing
 * failed, and RSS at the end is under 10% above RSS after the warm-up.
 *
 * Bounded in time (the run plus start-up), loopback only. Exit code 0 on pass, 1 on fail.
 *
 * @module
 */
import { parseArgs } from "node:util";
import { type BadInput, predictBadInputs } from "../tests/helpers/bad_inputs.ts";
import { DIGIT_STROKES, drawStrokes, toRgba } from "../tests/helpers/canvas.ts";
import { encodePng } from "../tests/helpers/png_encode.ts";
import { startServerProcess } from "../tests/helpers/server_process.ts";

const { values } = parseArgs({
  args: Deno.args,
  options: {
    seconds: { type: "string", default: "60" },
    connections: { type: "string", default: "64" },
    "warm-up": { type: "string", default: "10" },
    models: { type: "string" },
  },
});
const seconds = Number(values.seconds);
const connections = Number(values.connections);
const warmUpSeconds = Number(values["warm-up"]);

interface Sample {
  name: string;
  png: Uint8Array<ArrayBuffer>;
  digit: number;
}

/** Drawn digits at a few sizes and places on a 280x280 canvas, as the web UI sends them. */
async function drawnDigits(): Promise<Sample[]> {
  const samples: Sample[] = [];
  const boxes: [number, number, number][] = [[50, 40, 180], [90, 80, 100], [20, 30, 230]];
  for (const [digit, strokes] of Object.entries(DIGIT_STROKES)) {
    for (const box of boxes) {
      const { data } = toRgba(
        drawStrokes(strokes, { size: 280, penWidth: 20, box }),
        "transparent",
      );
      const png = await encodePng(data as Uint8Array, 280, 280, "rgba");
      samples.push({ name: `${digit} in ${box.join(",")}`, png, digit: Number(digit) });
    }
  }
  return samples;
}

async function predict(url: string, body: Uint8Array<ArrayBuffer>) {
  const response = await fetch(`${url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "image/png" },
    body,
  });
  return { status: response.status, body: await response.json() };
}

const server = await startServerProcess({
  args: values.models ? ["--models", values.models] : [],
});
let failed = false;
try {
  // Valid samples: those the served model reads right when alone (the shipped models read
  // these drawings; an untrained --models folder would leave none).
  const valid: Sample[] = [];
  for (const sample of await drawnDigits()) {
    const alone = await predict(server.url, sample.png);
    if (alone.status === 200 && alone.body.result === sample.digit) valid.push(sample);
  }
  if (valid.length === 0) throw new Error("the model reads none of the drawn digits right");
  const fixture = (name: string) =>
    Deno.readFile(new URL(`../tests/fixtures/${name}`, import.meta.url));
  const bad: BadInput[] = predictBadInputs(
    { pngs: valid.map((s) => s.png), jpegs: [await fixture("seven-grey.jpg")] },
    2 * 1024 * 1024,
  ).filter((input) => !/bomb|huge|over the limit|nested/.test(input.name));

  const counts = { valid: 0, validWrong: 0, bad: 0, badWrong: 0, errors: 0 };
  const problems: string[] = [];
  const note = (problem: string) => problems.length < 20 && problems.push(problem);
  const latencies: number[] = [];
  const rss: { at: number; bytes: number }[] = [];
  const started = performance.now();
  const endAt = started + seconds * 1000;

  const sampler = setInterval(async () => {
    const at = (performance.now() - started) / 1000;
    try {
      rss.push({ at, bytes: await server.rssBytes() });
    } catch (error) {
      note(`RSS at ${at.toFixed(0)} s: ${error}`);
    }
  }, 1000);

  let next = 0;
  const client = async () => {
    while (performance.now() < endAt) {
      const index = next++;
      const t0 = performance.now();
      try {
        if (index % 4 !== 3) {
          const sample = valid[index % valid.length];
          const { status, body } = await predict(server.url, sample.png);
          counts.valid++;
          if (status !== 200 || body.result !== sample.digit) {
            counts.validWrong++;
            note(`${sample.name}: ${status} ${JSON.stringify(body).slice(0, 120)}`);
          }
        } else {
          const input = bad[index % bad.length];
          const response = await fetch(`${server.url}${input.path}`, {
            method: input.method,
            headers: input.headers,
            body: input.body,
          });
          const body = await response.json().catch(() => null);
          counts.bad++;
          const clientError = response.status >= 400 && response.status < 500 &&
            typeof body?.error === "string";
          const prediction = response.status === 200 && input.expect === "4xx-or-prediction";
          if (!clientError && !prediction) {
            counts.badWrong++;
            note(`${input.name}: ${response.status} ${JSON.stringify(body).slice(0, 120)}`);
          }
        }
        latencies.push(performance.now() - t0);
      } catch (error) {
        counts.errors++;
        note(`request ${index}: ${error}`);
      }
    }
  };
  await Promise.all(Array.from({ length: connections }, client));
  clearInterval(sampler);
  const elapsed = (performance.now() - started) / 1000;

  const afterWarmUp = rss.find((s) => s.at >= warmUpSeconds) ?? rss[0];
  const last = rss[rss.length - 1];
  const peak = Math.max(...rss.map((s) => s.bytes));
  const growth = last.bytes / afterWarmUp.bytes - 1;
  latencies.sort((a, b) => a - b);
  const quantile = (q: number) => latencies[Math.floor(q * (latencies.length - 1))].toFixed(1);
  const mib = (bytes: number) => (bytes / 2 ** 20).toFixed(0);

  console.log(`soak: ${seconds} s at ${connections} connections against ${server.url}`);
  console.log(
    `requests: ${counts.valid} valid (${counts.validWrong} wrong), ${counts.bad} bad ` +
      `(${counts.badWrong} wrong), ${counts.errors} failed; ` +
      `${((counts.valid + counts.bad) / elapsed).toFixed(0)} req/s; ` +
      `latency p50 ${quantile(0.5)} ms, p99 ${quantile(0.99)} ms`,
  );
  console.log(
    `RSS: ${mib(afterWarmUp.bytes)} MiB after ${warmUpSeconds} s warm-up, ${mib(last.bytes)} MiB ` +
      `at the end (${(growth * 100).toFixed(1)}%), peak ${mib(peak)} MiB`,
  );
  for (const problem of problems) console.log(`  ${problem}`);
  failed = counts.validWrong > 0 || counts.badWrong > 0 || counts.errors > 0 || growth >= 0.1;
  console.log(failed ? "FAIL" : "PASS");
} finally {
  const code = await server.stop();
  if (code !== 0) {
    console.log(`server exited ${code}:\n${server.output()}`);
    failed = true;
  }
}
Deno.exit(failed ? 1 : 0);
