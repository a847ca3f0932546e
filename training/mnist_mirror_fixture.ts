/**
 * Test fixture: a loopback HTTP server that plays several MNIST mirrors at once. The first
 * path segment picks the behaviour, e.g. `/good-a/t10k-labels-idx1-ubyte.gz`:
 * `good` serves the real file, `corrupt` the same size with one byte flipped, `huge` the file
 * twice over, `trickle` the file in six parts 150 ms apart, `missing` a 404, `stall` never
 * answers until the client gives up.
 *
 * @module
 */

import { MNIST_FILES } from "./mnist_files.ts";

/** The real files live here in CI; tests that need them are ignored without it. */
export const MNIST_DIR = Deno.env.get("MNIST_DIR");

/** True when MNIST_DIR names a directory holding all four files. */
export function haveMnist(): boolean {
  if (!MNIST_DIR) return false;
  try {
    return MNIST_FILES.every((file) => Deno.statSync(`${MNIST_DIR}/${file.name}`).isFile);
  } catch {
    return false;
  }
}

/** Why a test is ignored, printed once per test file. */
export function reportSkip(what: string) {
  if (!haveMnist()) {
    console.warn(`skipping ${what}: MNIST_DIR is unset or lacks the four MNIST .gz files`);
  }
}

export interface MirrorServer {
  /** Base URL of a mirror that behaves as `kind`; `name` tells mirrors of one kind apart. */
  mirror(
    kind: "good" | "corrupt" | "huge" | "trickle" | "missing" | "stall",
    name?: string,
  ): string;
  /** Requests received per mirror segment (e.g. "good-a"). */
  requests: Map<string, number>;
  close(): Promise<void>;
}

/** Streams `bytes` in `parts` pieces with `gapMs` of silence before each. */
function trickle(bytes: Uint8Array, parts: number, gapMs: number): ReadableStream<Uint8Array> {
  const size = Math.ceil(bytes.length / parts);
  let offset = 0;
  return new ReadableStream({
    async pull(controller) {
      await new Promise((resolve) => setTimeout(resolve, gapMs));
      controller.enqueue(bytes.slice(offset, offset + size));
      offset += size;
      if (offset >= bytes.length) controller.close();
    },
  });
}

/** Starts the loopback mirrors on a free port, serving files read from MNIST_DIR. */
export async function startMirrorServer(): Promise<MirrorServer> {
  const real = new Map<string, Uint8Array>();
  for (const file of MNIST_FILES) {
    real.set(file.name, await Deno.readFile(`${MNIST_DIR}/${file.name}`));
  }
  const requests = new Map<string, number>();
  const stalled: (() => void)[] = [];
  const body: Record<string, (bytes: Uint8Array) => Uint8Array> = {
    good: (bytes) => bytes,
    corrupt: (bytes) => {
      const copy = bytes.slice();
      copy[copy.length >> 1] ^= 0xff;
      return copy;
    },
    huge: (bytes) => {
      const twice = new Uint8Array(bytes.length * 2);
      twice.set(bytes);
      twice.set(bytes, bytes.length);
      return twice;
    },
  };
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    async (request) => {
      const [, mirror, name] = new URL(request.url).pathname.split("/");
      requests.set(mirror, (requests.get(mirror) ?? 0) + 1);
      const kind = mirror.split("-")[0];
      const bytes = real.get(name);
      if (kind === "stall") {
        // Held until close(): the client must give up on its own timeout.
        await new Promise<void>((release) => stalled.push(release));
        return new Response(null, { status: 503 });
      }
      if (bytes && kind === "trickle") return new Response(trickle(bytes, 6, 150));
      if (!bytes || !(kind in body)) return new Response("not found", { status: 404 });
      return new Response(body[kind](bytes) as BodyInit);
    },
  );
  const origin = `http://127.0.0.1:${server.addr.port}`;
  return {
    mirror: (kind, name = "a") => `${origin}/${kind}-${name}/`,
    requests,
    close() {
      for (const release of stalled) release();
      return server.shutdown();
    },
  };
}

/** A URL on a port nothing listens on, so connecting is refused. */
export function closedPortUrl(): string {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = listener.addr.port;
  listener.close();
  return `http://127.0.0.1:${port}/mnist/`;
}

/** Awaits `promise`, expecting it to reject, and returns what it rejected with. */
export async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  throw new Error("expected a rejection, but the promise resolved");
}
