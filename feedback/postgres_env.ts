/**
 * What npm `postgres` reads from the environment once the options feedback/postgres_store.ts
 * passes are set: the standard libpq variables for what the URL leaves out (PGPASSWORD keeps
 * a password out of the URL) and the user's name when the URL names no user. Kept apart from
 * the store so config.ts can name them without loading the driver.
 *
 * @module
 */
export const POSTGRES_ENV_NAMES = [
  "PGHOST",
  "PGPORT",
  "PGUSERNAME",
  "PGUSER",
  "PGDATABASE",
  "PGPASSWORD",
  "PGAPPNAME",
  "PGTARGETSESSIONATTRS",
  "PGSSLNEGOTIATION",
  "USERNAME",
  "USER",
  "LOGNAME",
];
