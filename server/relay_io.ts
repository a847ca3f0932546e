/**
 * Moving bytes between a relayed connection's two sockets: whole writes, and a copy loop that
 * reads into a small buffer while a connection is quiet and a pooled large one while data keeps
 * coming (connection_guard.ts relays every connection through these).
 *
 * @module
 */

/** What a connection's relay reads into while it waits (silent connections hold only this). */
export const READ_BYTES = 16 * 1024;
/**
 * What it reads into while data keeps coming (a read filled the small buffer): each read and
 * write costs the thread ~20-50 us whatever it holds, and a 143 KB upload took 9 of each in 16
 * KB pieces (a burst of 128: ~100 ms of the thread), 3 in 64 KB ones. Back to the small one
 * after a read that did not fill it, so only connections in mid-transfer hold a large one.
 */
const BULK_READ_BYTES = 64 * 1024;
/** Large buffers kept for the next transfer (4 MiB at most). */
const spareBulkBuffers: Uint8Array<ArrayBuffer>[] = [];
const MAX_SPARE_BULK_BUFFERS = 64;

/** A large buffer from the pool (or a new one); {@link giveBack} returns it. */
export function bulkBuffer(): Uint8Array<ArrayBuffer> {
  return spareBulkBuffers.pop() ?? new Uint8Array(BULK_READ_BYTES);
}

/** Writes all of `bytes`; false when the connection went away. */
export async function writeAll(to: Deno.TcpConn, bytes: Uint8Array): Promise<boolean> {
  try {
    for (let written = 0; written < bytes.length;) {
      written += await to.write(bytes.subarray(written));
    }
    return true;
  } catch {
    return false;
  }
}

/** Relays `from` to `to` until `from` ends; then half-closes `to` so it sees the end too. */
export async function copy(
  from: Deno.TcpConn,
  to: Deno.TcpConn,
  onData?: () => void,
): Promise<void> {
  const small = new Uint8Array(READ_BYTES);
  let buffer = small;
  try {
    for (;;) {
      const n = await from.read(buffer);
      if (n === null) break;
      onData?.();
      if (!await writeAll(to, buffer.subarray(0, n))) return;
      if (n === buffer.length && buffer === small) {
        buffer = bulkBuffer();
      } else if (n < buffer.length && buffer !== small) {
        giveBack(buffer);
        buffer = small;
      }
    }
    await to.closeWrite();
  } catch {
    // Either side went away: the caller closes both.
  } finally {
    if (buffer !== small) giveBack(buffer);
  }
}

/** Returns a large buffer to the pool (past the pool's size it is left to the collector). */
export function giveBack(bulk: Uint8Array<ArrayBuffer>) {
  if (spareBulkBuffers.length < MAX_SPARE_BULK_BUFFERS) spareBulkBuffers.push(bulk);
}
