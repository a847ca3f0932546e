/**
 * The admin token that guards reading, exporting and deleting feedback: read once at start
 * from a file (`--admin-token-file`, systemd's `LoadCredential=`), never from a flag or a
 * variable (those show in `ps` and in the environment of every child), and never logged.
 *
 * @module
 */

/** Shorter tokens are guessable; `openssl rand -base64 32` makes a good one. */
export const MIN_TOKEN_LENGTH = 16;

/** What an `Authorization: Bearer` token may hold (RFC 6750's token68). */
const TOKEN68 = /^[A-Za-z0-9._~+/-]+=*$/;

/**
 * The token in `path` (surrounding white space ignored), or null for an empty file (the admin
 * routes then answer 403: systemd's `SetCredential=` default when no token was installed).
 * Throws an operator-facing Error for an unreadable file or an unusable token.
 */
export async function readAdminToken(path: string): Promise<string | null> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new Error(`cannot read the admin token file ${path}: ${(error as Error).message}`);
  }
  const token = text.trim();
  if (token === "") return null;
  if (token.length < MIN_TOKEN_LENGTH || !TOKEN68.test(token)) {
    // Say what is wrong with it, never what it is.
    throw new Error(
      `the admin token in ${path} must be at least ${MIN_TOKEN_LENGTH} characters of ` +
        "A-Z a-z 0-9 . _ ~ + / - (for example: openssl rand -base64 32)",
    );
  }
  return token;
}
