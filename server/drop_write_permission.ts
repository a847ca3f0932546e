/**
 * The server writes only to its feedback database, through SQLite, which checks the write
 * permission once, when the file is opened. So once the store is open (or feedback is off),
 * main gives the permission up for the rest of the process and for every worker it starts:
 * whatever a request gets the server to do, it cannot write a file. The binary keeps a plain
 * `--allow-write` only because its data folder is chosen at run time.
 *
 * @module
 */

/** Revokes writing everywhere for this process; workers started later inherit the refusal. */
export async function dropWritePermission(): Promise<void> {
  await Deno.permissions.revoke({ name: "write" });
}
