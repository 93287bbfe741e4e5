/** Where a command prints: results to `out` (stdout), progress and messages to `err` (stderr). */
export interface Io {
  out: (text: string) => void;
  err: (text: string) => void;
}
