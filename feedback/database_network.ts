/**
 * The released binary may open connections to one name only: {@link DATABASE_HOST} on
 * PostgreSQL's port (its compiled `--allow-net` list also holds the addresses it listens on,
 * which include loopback). A `--feedback-db` URL naming another host would fail on its first
 * query with a bare permission error; this check turns that into a start-up message that says
 * what to do. Under `deno task start` (plain `--allow-net`) every host passes.
 *
 * @module
 */

/** The database host name the compile task grants (map it in DNS, /etc/hosts or compose). */
export const DATABASE_HOST = "digitlab-db:5432";

/** `host:port` of every server a PostgreSQL URL names (several for a multi-host URL). */
export function databaseAddresses(url: string): string[] {
  const match = /^postgres(?:ql)?:\/\/(?:[^@/]*@)?([^/?#]*)/.exec(url);
  if (!match || match[1] === "") return []; // a Unix socket (?host=/run/postgresql): no network
  return match[1].split(",").map((address) => {
    const ipv6 = /^(\[[^\]]+\])(?::(\d+))?$/.exec(address);
    if (ipv6) return `${ipv6[1]}:${ipv6[2] ?? 5432}`;
    const [host, port = "5432"] = address.split(":");
    return `${host}:${port}`;
  });
}

/** Null when this process may reach every server `url` names; else the operator's message. */
export async function databaseNetworkRefusal(url: string): Promise<string | null> {
  for (const host of databaseAddresses(url)) {
    const { state } = await Deno.permissions.query({ name: "net", host });
    if (state !== "granted") {
      return `this binary may connect only to ${DATABASE_HOST} and loopback, not ${host}: ` +
        `name the database host ${DATABASE_HOST.split(":")[0]} (DNS, /etc/hosts or the ` +
        `compose service) and use postgres://user@${DATABASE_HOST}/db (docs/deploy.md)`;
    }
  }
  return null;
}
