import assert, { deepStrictEqual } from "node:assert/strict";
import { ServerFacade } from "./server_facade.ts";

Deno.test("ServerFacade: addr is read live, ref/unref reach the inner server of the moment", () => {
  let port = 1;
  const calls: string[] = [];
  const inner = (name: string) => ({
    ref: () => calls.push(`${name}.ref`),
    unref: () => calls.push(`${name}.unref`),
  });
  let current = inner("first");
  const server = new ServerFacade({
    addr: () => ({ transport: "tcp", hostname: "127.0.0.1", port }),
    finished: Promise.resolve(),
    stop: () => Promise.resolve(),
    inner: () => current,
  });
  server.unref();
  port = 2;
  current = inner("second");
  server.ref();
  deepStrictEqual(server.addr.port, 2);
  deepStrictEqual(calls, ["first.unref", "second.ref"]);
});

Deno.test("ServerFacade: shutdown stops, then waits for finished, whose failure stays on finished", async () => {
  const order: string[] = [];
  let fail!: (error: Error) => void;
  const finished = new Promise<void>((_, reject) => fail = reject);
  const server = new ServerFacade({
    addr: () => ({ transport: "tcp", hostname: "127.0.0.1", port: 0 }),
    finished,
    stop: () => {
      order.push("stop");
      setTimeout(() => (order.push("finished"), fail(new Error("accept failed"))), 10);
      return Promise.resolve();
    },
    inner: () => ({ ref() {}, unref() {} }),
  });
  await server[Symbol.asyncDispose]();
  deepStrictEqual(order, ["stop", "finished"]);
  await assert.rejects(server.finished, /accept failed/);
});
