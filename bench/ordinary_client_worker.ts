/**
 * The benchmark's ordinary client (bench/hostile.ts), in a worker: another user, so its own
 * event loop and its own address. In the benchmark's thread, its answers waited behind the
 * hostile client's 128 uploads being sent and read there; from 127.0.0.1, the server's
 * per-client limits counted it as the hostile client itself.
 *
 * Posted `{ url, body, localAddress, headers }` it posts the body to `/predict` one request at
 * a time; posted `"stop"` it answers with every `{ status, ms }`.
 *
 * @module
 */
/// <reference lib="deno.worker" />

export interface OrdinaryClientStart {
  url: string;
  body: Uint8Array<ArrayBuffer>;
  /** The address it connects from (any of 127.0.0.0/8 on Linux). */
  localAddress: string;
  headers?: Record<string, string>;
}

let running = true;
let done: Promise<{ status: number; ms: number }[]> | undefined;

self.onmessage = async (event: MessageEvent<OrdinaryClientStart | "stop">) => {
  if (event.data === "stop") {
    running = false;
    self.postMessage(await done);
    self.close();
    return;
  }
  const { url, body, localAddress, headers = {} } = event.data;
  const client = Deno.createHttpClient({ localAddress });
  done = (async () => {
    const answers: { status: number; ms: number }[] = [];
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/predict`, {
          method: "POST",
          headers: { "Content-Type": "image/png", ...headers },
          body,
          client,
          signal: AbortSignal.timeout(30_000),
        });
        await response.body?.cancel();
        answers.push({ status: response.status, ms: performance.now() - started });
      } catch {
        answers.push({ status: 0, ms: performance.now() - started });
      }
    }
    return answers;
  })();
};
