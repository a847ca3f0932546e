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
import { post, type TimedAnswer } from "./timed_post.ts";

export interface OrdinaryClientStart {
  url: string;
  body: Uint8Array<ArrayBuffer>;
  /** The address it connects from (any of 127.0.0.0/8 on Linux). */
  localAddress: string;
  headers?: Record<string, string>;
}

let running = true;
let done: Promise<TimedAnswer[]> | undefined;

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
    const answers: TimedAnswer[] = [];
    while (running) answers.push(await post(url, body, headers, client));
    return answers;
  })();
};
