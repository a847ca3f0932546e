/** digitlab's version, printed by `--version` and reported by /health and /openapi.json. */
export const VERSION = "0.1.0";
