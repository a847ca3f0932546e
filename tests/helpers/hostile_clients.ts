/**
 * Hostile clients, loopback only and bounded, shared by tests/hostile_clients_test.ts and
 * bench/hostile.ts: a chunked body of millions of one-byte chunks, a crowd of connections that
 * never send a byte, and a health prober that records how long each answer took.
 *
 * @module
 */

import { crc32, deflateSync } from "node:zlib";
import { pngWith } from "./png_encode.ts";

const encoder = new TextEncoder();

/** Polls `GET /health` every `everyMs` until stopped; each probe's latency (Infinity: failed). */
export function probeHealth(url: string, everyMs = 250, timeoutMs = 3000) {
  const latencies: number[] = [];
  let running = true;
  const done = (async () => {
    while (running) {
      const started = performance.now();
      try {
        const response = await fetch(`${url}/health`, { signal: AbortSignal.timeout(timeoutMs) });
        await response.body?.cancel();
        latencies.push(response.ok ? performance.now() - started : Infinity);
      } catch {
        latencies.push(Infinity);
      }
      await new Promise((resolve) => setTimeout(resolve, everyMs));
    }
  })();
  return {
    latencies,
    async stop(): Promise<number[]> {
      running = false;
      await done;
      return latencies;
    },
  };
}

export interface ChunkFloodResult {
  /** The status line of the answer, or null when none came. */
  status: string | null;
  /** Milliseconds from the first byte sent to the answer. */
  answeredMs: number;
}

/**
 * POSTs to `path` a chunked body of `chunks` one-byte chunks, after an empty chunked POST with
 * a trailer on the same connection (the order that froze the server longest), and waits at
 * most `waitMs` for the answer.
 */
export async function chunkFlood(
  url: string,
  { path = "/predict", chunks = 3_000_000, waitMs = 15_000 } = {},
): Promise<ChunkFloodResult> {
  const { hostname, port } = new URL(url);
  const conn = await Deno.connect({ hostname, port: Number(port) });
  const head = `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: image/png\r\n` +
    `Transfer-Encoding: chunked\r\n\r\n`;
  const started = performance.now();
  const reply = new Uint8Array(4096);
  try {
    await conn.write(encoder.encode(`${head}0\r\nX-Trailer: 1\r\n\r\n`));
    await conn.read(reply);
    await conn.write(encoder.encode(head));
    const piece = encoder.encode("1\r\nA\r\n");
    const block = new Uint8Array(piece.length * 10_000);
    for (let i = 0; i < 10_000; i++) block.set(piece, i * piece.length);
    const sending = (async () => {
      for (let sent = 0; sent < chunks; sent += 10_000) await conn.write(block);
      await conn.write(encoder.encode("0\r\n\r\n"));
    })().catch(() => {}); // the server may close the connection part-way: that is allowed
    const answer = await Promise.race([
      conn.read(reply).catch(() => null),
      new Promise<null>((resolve) => setTimeout(() => resolve(null), waitMs)),
    ]);
    const answeredMs = performance.now() - started;
    await Promise.race([sending, new Promise((resolve) => setTimeout(resolve, 100))]);
    const status = typeof answer === "number"
      ? new TextDecoder().decode(reply.subarray(0, answer)).split("\r\n")[0]
      : null;
    return { status, answeredMs };
  } finally {
    try {
      conn.close();
    } catch { /* already closed by the server */ }
  }
}

/** Opens up to `count` connections that send nothing; how many opened, and a way to close. */
export async function silentConnections(url: string, count: number) {
  const { hostname, port } = new URL(url);
  const conns: Deno.Conn[] = [];
  let refused = 0;
  for (let i = 0; i < count; i++) {
    try {
      conns.push(await Deno.connect({ hostname, port: Number(port) }));
    } catch {
      refused++;
    }
  }
  return {
    opened: conns.length,
    refused,
    /** How many of them the server has closed (a read sees the end within `waitMs`). */
    async closedByServer(waitMs = 200): Promise<number> {
      const ended = await Promise.all(conns.map((conn) =>
        Promise.race([
          conn.read(new Uint8Array(16)).then((n) => n === null, () => true),
          new Promise<boolean>((resolve) => setTimeout(() => resolve(false), waitMs)),
        ])
      ));
      return ended.filter(Boolean).length;
    },
    close() {
      for (const conn of conns) {
        try {
          conn.close();
        } catch { /* closed by the server */ }
      }
    },
  };
}

/**
 * A `side`x`side` PNG holding a thick vertical bar (a "1") on transparent, 8- or 16-bit RGBA:
 * under 200 KB of file, 64 or 128 MiB of pixels.
 */
export function bigDigitPng(side = 4096, depth: 8 | 16 = 8): Uint8Array<ArrayBuffer> {
  const bytesPerPixel = 4 * depth / 8;
  const stride = side * bytesPerPixel + 1;
  const rows = new Uint8Array(stride * side);
  const [top, bottom] = [Math.round(side * 0.2), Math.round(side * 0.8)];
  const [left, right] = [Math.round(side * 0.45), Math.round(side * 0.55)];
  for (let y = top; y < bottom; y++) {
    // Opaque black: every channel 0 but alpha, which is the last byte (or two) of each pixel.
    for (let x = left; x < right; x++) {
      rows.fill(
        255,
        y * stride + 1 + (x + 1) * bytesPerPixel - depth / 8,
        y * stride + 1 + (x + 1) * bytesPerPixel,
      );
    }
  }
  const png = pngWith(side, side, 6, deflateSync(rows, { level: 9 }));
  if (depth === 16) {
    png[24] = 16; // IHDR bit depth, then its CRC again
    new DataView(png.buffer).setUint32(29, crc32(png.subarray(12, 29)));
  }
  return png;
}
