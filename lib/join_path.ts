/**
 * A directory and a name joined with one slash. Unlike node:path's join it does not normalise
 * (`..` stays), so callers that guard against traversal see exactly what they will open.
 *
 * @module
 */
export function joinPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}
