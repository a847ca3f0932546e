/**
 * The readers the flag table's rows are built from: a flag's text (from the command line or its
 * variable) to a checked value, or a ConfigError that says what is wrong.
 *
 * @module
 */

/** A flag or variable the user got wrong; main prints the message and the usage, exits 2. */
export class ConfigError extends Error {
  override name = "ConfigError";
}

/** A parser for one of `allowed`, `fallback` when unset or empty; anything else is refused. */
export function oneOf<T extends string>(allowed: readonly T[], fallback: T) {
  return (text: string | undefined, flag: string): T => {
    if (text === undefined || text === "") return fallback;
    if (!allowed.includes(text as T)) {
      throw new ConfigError(`--${flag} must be one of ${allowed.join(", ")}, not "${text}"`);
    }
    return text as T;
  };
}

/** A parser for a whole number from `min` to `max`, `fallback` when unset or empty. */
export function integer<T extends number | undefined>(fallback: T, min: number, max: number) {
  return (text: string | undefined, flag: string): number | T => {
    if (text === undefined || text === "") return fallback;
    const value = Number(text);
    if (!/^\d+$/.test(text.trim()) || value < min || value > max) {
      throw new ConfigError(
        `--${flag} must be a whole number from ${min} to ${max}, not "${text}"`,
      );
    }
    return value;
  };
}

/** A parser for milliseconds from 0 to `max`, fractions allowed (an empty value is refused). */
export function milliseconds(fallback: number, max: number) {
  return (text: string | undefined, flag: string): number => {
    if (text === undefined) return fallback;
    const value = Number(text);
    if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(value <= max)) {
      throw new ConfigError(`--${flag} must be milliseconds from 0 to ${max}, not "${text}"`);
    }
    return value;
  };
}

/** A comma-separated allow-list; each entry exactly an origin as browsers send it, or `*`. */
export function origins(text: string | undefined): string[] {
  const list = (text ?? "").split(",").map((origin) => origin.trim()).filter(Boolean);
  for (const origin of list) {
    let exact = origin === "*";
    try {
      exact ||= new URL(origin).origin === origin;
    } catch {
      // not a URL at all: reported below
    }
    if (!exact) {
      throw new ConfigError(
        `--cors-origins: "${origin}" is not an origin like https://example.org or *`,
      );
    }
  }
  return list;
}
