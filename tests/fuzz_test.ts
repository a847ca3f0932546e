/**
 * Fuzz: over 1,000 generated bad inputs (tests/helpers/bad_inputs.ts) against `/predict` on a
 * real server process with the release permissions, plus bodies that trickle in. Every one must
 * be answered with a JSON 4xx within 1 s (a mutated JPEG that still decodes may get a proper
 * prediction), never a 5xx; valid requests sent in between must keep getting the same answer;
 * the server must end alive, and its memory bounded: decompression bombs (16 Mpixel, the most
 * we decode) are decoded in a worker, shrunk while they inflate (the worker is replaced after
 * each burst), JSON nested deeper than 64 levels is refused unparsed, and the garbage big
 * bodies leave on the HTTP thread is collected once the server is quiet
 * (middleware/idle_collect.ts), so RSS must stay within 1.2x of where it started (issue #17),
 * also after the heaviest inputs (two dozen bombs among them) three more times: a leak of even
 * one decoded bomb per request would add gigabytes. (Before the idle collection: 1.09-1.17x
 * after and 1.17-1.21x after the repeats, so the bound was 1.4x.)
 *
 * `/v2/models/{name}/infer` is fuzzed too once the server has it (v2InferBadInputs; the test
 * asks `GET /v2/models/{name}` first and says when it skips).
 */
import assert, { deepStrictEqual } from "node:assert/strict";
import { type BadInput, predictBadInputs, type Samples } from "./helpers/bad_inputs.ts";
import { v2InferBadInputs } from "./helpers/v2_bad_inputs.ts";
import { DIGIT_STROKES, drawStrokes, toRgba } from "./helpers/canvas.ts";
import { encodePng } from "./helpers/png_encode.ts";
import { type ServerProcess, startServerProcess } from "./helpers/server_process.ts";
import { writeTestModels } from "./helpers/test_models.ts";
import { RECYCLE_AFTER_MS } from "../inference/big_decode.ts";
import { COLLECT_QUIET_MS } from "../middleware/idle_collect.ts";

const MAX_BODY = 2 * 1024 * 1024;
const ANSWER_WITHIN_MS = 1000;
/** Short enough that a trickling body is refused within ANSWER_WITHIN_MS. */
const REQUEST_TIMEOUT_MS = 600;
const MODEL = "cnn-aug";

const fixture = (name: string) => Deno.readFile(new URL(`./fixtures/${name}`, import.meta.url));
const canvasPng = await (async () => {
  const { data } = toRgba(
    drawStrokes(DIGIT_STROKES["7"], { size: 280, penWidth: 20, box: [50, 40, 180] }),
    "transparent",
  );
  return await encodePng(data as Uint8Array, 280, 280, "rgba");
})();
const samples: Samples = {
  pngs: [canvasPng, await fixture("drawn-7.png")],
  jpegs: await Promise.all(
    ["seven-colour.jpg", "seven-grey.jpg", "seven-progressive.jpg"].map(fixture),
  ),
};

interface Answer {
  status: number;
  ms: number;
  body: Record<string, unknown> | null;
  contentType: string;
}

async function send(url: string, input: BadInput): Promise<Answer> {
  const started = performance.now();
  const response = await fetch(`${url}${input.path}`, {
    method: input.method,
    headers: input.headers,
    body: input.body,
  });
  const raw = await response.text();
  let body: Record<string, unknown> | null = null;
  try {
    body = JSON.parse(raw);
  } catch {
    // checked below
  }
  return {
    status: response.status,
    ms: performance.now() - started,
    body,
    contentType: response.headers.get("content-type") ?? "",
  };
}

/** What is wrong with an answer to a bad input, or null when it is right. */
function problem(input: BadInput, answer: Answer): string | null {
  const { status, body, ms } = answer;
  if (ms > ANSWER_WITHIN_MS) return `answered after ${Math.round(ms)} ms`;
  if (status >= 400 && status < 500) {
    if (!answer.contentType.startsWith("application/json")) return `${status} is not JSON`;
    if (typeof body?.error !== "string") return `${status} without an error code`;
    // The v2 protocol's errors are {"error": "..."}; ours also carry a message.
    if (!input.path.startsWith("/v2/") && typeof body.message !== "string") {
      return `${status} without a message`;
    }
    return null;
  }
  if (status === 200 && input.expect === "4xx-or-prediction") {
    const result = body?.result;
    const probabilities = body?.probabilities ?? body?.outputs;
    const ok = input.path.startsWith("/v2/")
      ? Array.isArray(probabilities)
      : Number.isInteger(result) && Array.isArray(probabilities) && probabilities.length === 10;
    return ok ? null : `200 without a proper prediction: ${JSON.stringify(body).slice(0, 200)}`;
  }
  return `status ${status}: ${JSON.stringify(body).slice(0, 200)}`;
}

/** A body that arrives a few bytes at a time, over raw TCP so nothing buffers it. */
async function trickle(url: string, headers: string, bytes: Uint8Array): Promise<Answer> {
  const { hostname, port } = new URL(url);
  const connection = await Deno.connect({ hostname, port: Number(port) });
  const started = performance.now();
  const encoder = new TextEncoder();
  await connection.write(encoder.encode(headers));
  let stop = false;
  const sending = (async () => {
    for (let i = 0; i < bytes.length && !stop; i += 8) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      await connection.write(bytes.subarray(i, i + 8)).catch(() => stop = true);
    }
  })();
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  try {
    while (!text.includes("\r\n\r\n") || !/\}\s*$/.test(text)) {
      const n = await connection.read(buffer);
      if (n === null) break;
      text += new TextDecoder().decode(buffer.subarray(0, n));
    }
  } finally {
    stop = true;
    await sending;
    connection.close();
  }
  const ms = performance.now() - started;
  const status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
  const [head, body = ""] = text.split("\r\n\r\n");
  let json = null;
  try {
    json = JSON.parse(body);
  } catch {
    // checked by the caller
  }
  const contentType = /content-type: *([^\r\n]+)/i.exec(head)?.[1] ?? "";
  return { status, ms, body: json, contentType };
}

/** `bytes` in HTTP/1.1 chunked encoding, 8 bytes a chunk. */
function chunked(bytes: Uint8Array): Uint8Array {
  const encoder = new TextEncoder();
  const parts: number[] = [];
  for (let i = 0; i < bytes.length; i += 8) {
    const piece = bytes.subarray(i, i + 8);
    parts.push(...encoder.encode(`${piece.length.toString(16)}\r\n`), ...piece, 13, 10);
  }
  parts.push(...encoder.encode("0\r\n\r\n"));
  return new Uint8Array(parts);
}

async function validAnswer(url: string): Promise<number> {
  const response = await fetch(`${url}/predict`, {
    method: "POST",
    headers: { "Content-Type": "image/png" },
    body: canvasPng,
  });
  const body = await response.json();
  deepStrictEqual(response.status, 200, `a valid request failed: ${JSON.stringify(body)}`);
  return body.result;
}

/**
 * RSS after `requests` valid requests and quiet: long enough for the big-image pool to replace
 * its used worker (RECYCLE_AFTER_MS) and the HTTP thread to collect its garbage
 * (COLLECT_QUIET_MS), and a second more for what they free to be let go; a bare second raced
 * the recycle and sometimes sampled the old worker's heap.
 */
async function settledRss(server: ServerProcess, requests = 30): Promise<number> {
  for (let i = 0; i < requests; i++) await validAnswer(server.url);
  await new Promise((resolve) =>
    setTimeout(resolve, Math.max(RECYCLE_AFTER_MS, COLLECT_QUIET_MS) + 1000)
  );
  return await server.rssBytes();
}

Deno.test({
  name: "fuzz: 1,000+ bad inputs each get a JSON 4xx within 1 s; the server stays well",
  async fn() {
    const modelsDir = await writeTestModels([MODEL]);
    const server = await startServerProcess({
      args: ["--models", modelsDir, "--request-timeout", String(REQUEST_TIMEOUT_MS)],
    });
    try {
      const reference = await validAnswer(server.url);
      // The baseline is a warmed-up server (JIT, heap sized for traffic), as the soak's is.
      const baselineRss = await settledRss(server, 500);

      const inputs = predictBadInputs(samples, MAX_BODY);
      const v2 = await fetch(`${server.url}/v2/models/${MODEL}`);
      await v2.body?.cancel();
      if (v2.status === 200) inputs.push(...v2InferBadInputs(MODEL, MAX_BODY));
      else console.warn(`/v2/models/${MODEL} answered ${v2.status}: v2 infer not fuzzed`);
      assert(inputs.length >= 1000, `only ${inputs.length} inputs`);

      const problems: string[] = [];
      const statuses = new Map<number, number>();
      let slowest = 0;
      for (const [index, input] of inputs.entries()) {
        let answer: Answer;
        try {
          answer = await send(server.url, input);
        } catch (error) {
          problems.push(`${input.name}: no answer: ${error}`);
          continue;
        }
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        slowest = Math.max(slowest, answer.ms);
        const wrong = problem(input, answer);
        if (wrong) problems.push(`${input.name}: ${wrong}`);
        // The server must not be left poisoned (a decoder in a bad state, a leaked slot).
        if (index % 50 === 49) deepStrictEqual(await validAnswer(server.url), reference);
      }

      // Bodies that trickle in: cut off with 408 at the deadline.
      const trickles: [string, string, Uint8Array][] = [
        ["raw png", "Content-Type: image/png\r\nContent-Length: 4000", canvasPng],
        ["chunked", "Content-Type: image/png\r\nTransfer-Encoding: chunked", chunked(canvasPng)],
        ["json", "Content-Type: application/json\r\nContent-Length: 4000", new Uint8Array(4000)],
      ];
      for (const [name, headers, bytes] of trickles) {
        const request = `POST /predict HTTP/1.1\r\nHost: fuzz\r\n${headers}\r\n\r\n`;
        const answer = await trickle(server.url, request, bytes);
        statuses.set(answer.status, (statuses.get(answer.status) ?? 0) + 1);
        const wrong = problem({ name, path: "/predict", expect: "4xx" } as BadInput, answer);
        if (wrong) problems.push(`trickle ${name}: ${wrong}`);
        else deepStrictEqual(answer.status, 408, `trickle ${name}: ${JSON.stringify(answer)}`);
      }

      deepStrictEqual(problems, [], `${problems.length} wrong answers:\n${problems.join("\n")}`);
      const health = await fetch(`${server.url}/health`);
      deepStrictEqual((await health.json()).status, "healthy");
      deepStrictEqual(await validAnswer(server.url), reference);

      const afterRss = await settledRss(server);
      const heavy = inputs.filter((i) => /bomb|huge|over the limit|nested/.test(i.name));
      for (let round = 0; round < 3; round++) {
        for (const input of heavy) {
          const answer = await send(server.url, input);
          const wrong = problem(input, answer);
          assert(wrong === null, `${input.name} (again): ${wrong}`);
        }
      }
      const againRss = await settledRss(server);
      const mib = (bytes: number) => Math.round(bytes / 2 ** 20);
      console.log(
        `fuzz: ${inputs.length + trickles.length} bad inputs, statuses ` +
          `${JSON.stringify(Object.fromEntries([...statuses].sort()))}, slowest ` +
          `${Math.round(slowest)} ms; RSS ${mib(baselineRss)} MiB before, ` +
          `${mib(afterRss)} MiB after, ${mib(againRss)} MiB after the ${heavy.length} ` +
          `heaviest 3 more times`,
      );
      assert(![...statuses.keys()].some((s) => s >= 500), "a 5xx answer");
      assert(
        afterRss < baselineRss * 1.2,
        `RSS ${mib(afterRss)} MiB after vs ${mib(baselineRss)} MiB before`,
      );
      assert(
        againRss < baselineRss * 1.2,
        `RSS grew from ${mib(baselineRss)} to ${mib(againRss)} MiB repeating the heaviest inputs`,
      );
    } finally {
      deepStrictEqual(await server.stop(), 0, server.output());
      await Deno.remove(modelsDir, { recursive: true });
    }
  },
});
