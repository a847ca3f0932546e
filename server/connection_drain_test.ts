import assert, { deepStrictEqual } from "node:assert/strict";
import { ConnectionDrain } from "./connection_drain.ts";
import { KeepAliveSession, type Outcome } from "../tests/helpers/keep_alive_client.ts";

function serveDrained(drain: ConnectionDrain) {
  const server = Deno.serve(
    { hostname: "127.0.0.1", port: 0, onListen() {} },
    drain.handler(() => new Response("ok")),
  );
  return { server, session: new KeepAliveSession({ port: server.addr.port }) };
}

const connection = (o: Outcome) => o.kind === "answered" ? o.headers.get("connection") : o.kind;

Deno.test("ConnectionDrain: Connection: close on every answer once draining", async () => {
  const drain = new ConnectionDrain({ idleMs: 10_000 });
  const { server, session } = serveDrained(drain);
  try {
    const before = await session.request("GET", "/");
    deepStrictEqual(connection(before), null);
    assert(!drain.draining);
    drain.start();
    const after = await session.request("GET", "/");
    deepStrictEqual(connection(after), "close");
    assert(after.kind === "answered" && after.reused, "the kept-alive connection carried it");
  } finally {
    session.close();
    await server.shutdown();
  }
});

Deno.test("ConnectionDrain: settled once the kept-alive connection had its last answer", async () => {
  const drain = new ConnectionDrain({ idleMs: 10_000 });
  const { server, session } = serveDrained(drain);
  try {
    await session.request("GET", "/");
    drain.start();
    deepStrictEqual(drain.open, 1);
    // Recently active and kept alive: its client may be sending right now.
    deepStrictEqual(await drain.settled(50), false);
    const last = await session.request("GET", "/");
    deepStrictEqual(connection(last), "close");
    deepStrictEqual(await drain.settled(5_000), true);
    deepStrictEqual(drain.open, 0);
  } finally {
    session.close();
    await server.shutdown();
  }
});

Deno.test("ConnectionDrain: quiesce holds answers until release", async () => {
  const drain = new ConnectionDrain({ idleMs: 10_000 });
  const { server, session } = serveDrained(drain);
  try {
    drain.start();
    await drain.quiesce(10, 1_000);
    let answered = false;
    const pending = session.request("GET", "/").then((outcome) => {
      answered = true;
      return outcome;
    });
    await new Promise((resolve) => setTimeout(resolve, 200));
    assert(!answered, "an answer went out while quiesced");
    drain.release();
    deepStrictEqual(connection(await pending), "close");
  } finally {
    session.close();
    await server.shutdown();
  }
});
