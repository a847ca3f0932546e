import { deepStrictEqual } from "node:assert/strict";
import { databaseAddresses, databaseNetworkRefusal } from "./database_network.ts";

Deno.test("databaseAddresses: every server of a PostgreSQL URL as host:port", () => {
  deepStrictEqual(databaseAddresses("postgres://u:p@digitlab-db:5432/d"), ["digitlab-db:5432"]);
  deepStrictEqual(databaseAddresses("postgresql://u@db/d?sslmode=require"), ["db:5432"]);
  deepStrictEqual(databaseAddresses("postgres://u@a:1,b/d"), ["a:1", "b:5432"]);
  deepStrictEqual(databaseAddresses("postgres://u@[::1]:6000/d"), ["[::1]:6000"]);
  deepStrictEqual(databaseAddresses("postgres://u@/d?host=/run/postgresql"), []);
});

Deno.test("databaseNetworkRefusal: none where the process may connect (this test has --allow-all)", async () => {
  deepStrictEqual(await databaseNetworkRefusal("postgres://u@203.0.113.5:5432/d"), null);
});
