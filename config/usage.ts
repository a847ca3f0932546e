/**
 * The `--help` text, made from the flag table so it cannot miss a flag.
 *
 * @module
 */
import { FLAGS } from "./flags.ts";

export const USAGE = `digitlab: handwritten digit recognition (web UI + JSON API)

Usage:
  digitlab [options]               serve the UI and the API
  digitlab healthcheck [options]   exit 0 when GET /health on --host/--port answers healthy
  digitlab backup FILE [options]   write a consistent copy of the feedback database to FILE
                                   while the server runs

Options:
${
  Object.entries(FLAGS).map(([name, flag]) =>
    usageEntry(
      `--${name}${flag.value ? ` ${flag.value}` : ""}`,
      `${flag.help} (env\u00a0${flag.env}; default ${flag.shown})`,
    )
  ).join("")
}${usageEntry("--help", "show this help")}${usageEntry("--version", "print the version")}`;

/**
 * One option's lines: its name in a column of 19, the help wrapped at 92 characters (never
 * inside a no-break space, so "(env NAME;" stays on one line).
 */
function usageEntry(name: string, help: string): string {
  const indent = " ".repeat(21);
  const lines: string[] = [];
  let line = "";
  for (const word of help.split(" ")) {
    if (line && indent.length + line.length + 1 + word.length > 92) {
      lines.push(line);
      line = word;
    } else line = line ? `${line} ${word}` : word;
  }
  lines.push(line);
  const head = `  ${name}`;
  const first = head.length < indent.length ? head.padEnd(indent.length) : `${head}\n${indent}`;
  return `${first}${lines.join(`\n${indent}`).replaceAll("\u00a0", " ")}\n`;
}
