/**
 * Every failure the library reports is a TamsaekError with a stable `code`, so callers can branch on
 * the code instead of parsing messages. The CLI prints `message` (one line) and exits non-zero.
 */
export type ErrorCode =
  | 'INVALID_ARGUMENT' // a value of the wrong type, range or shape (k <= 0, NaN weight, empty id …)
  | 'UNKNOWN_OPTION' // an option name the callee does not know (typos must not pass silently)
  | 'UNKNOWN_ANALYZER'
  | 'DUPLICATE_ID' // add() of an id that is already present (use upsert)
  | 'NOT_FOUND' // a file, directory or id that does not exist
  | 'PARSE_ERROR' // malformed JSONL / TSV input; the message names file and line
  | 'CORRUPT_INDEX' // checksum mismatch, truncated or inconsistent index data
  | 'FOREIGN_FILE' // a file that is not a tamsaek index (wrong magic)
  | 'UNSUPPORTED_VERSION' // an index written by a newer, incompatible format version
  | 'IO_ERROR'
  | 'ANALYZER_ERROR'
  | 'DIMENSION_MISMATCH'
  | 'NATIVE_UNAVAILABLE'
  | 'CUDA_UNAVAILABLE' // device 'cuda' asked for where no GPU is usable (addon built without CUDA, no driver, no device)
  | 'CUDA_ERROR' // a CUDA call failed (the message carries CUDA's); the process stays up
  | 'LOCKED' // another process holds the index for writing
  | 'READ_ONLY' // a write on an index opened read-only
  | 'CLOSED' // a call on an engine after close()
  | 'ABORTED' // the caller's AbortSignal fired
  | 'TIMEOUT' // a search ran past its timeout
  | 'LIMIT_EXCEEDED' // a query or document over a documented size limit (maxQueryChars, maxQueryTerms, maxDocumentChars)
  | 'NOT_SUPPORTED' // a recognised but not yet supported feature (e.g. a tamsaek static model directory)
  | 'INVALID_MODEL' // a model directory or ONNX graph that does not have the expected files, inputs or outputs
  | 'OFFLINE' // a download was needed but offline mode is on (HF_HUB_OFFLINE / TAMSAEK_OFFLINE)
  | 'DOWNLOAD_ERROR' // an HTTP or network failure while fetching a model
  | 'INTEGRITY_ERROR'; // a downloaded file whose size or hash differs from what the server announced

export class TamsaekError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'TamsaekError';
    this.code = code;
  }
}

export function invalidArgument(message: string): TamsaekError {
  return new TamsaekError('INVALID_ARGUMENT', message);
}

/** Throws UNKNOWN_OPTION when `options` has a key outside `known`: typos must not be silently ignored. */
export function checkOptions(where: string, options: object | undefined, known: readonly string[]): void {
  if (options === undefined || options === null) return;
  if (typeof options !== 'object') throw invalidArgument(`${where}: options must be an object`);
  for (const key of Object.keys(options)) {
    if (!known.includes(key)) {
      throw new TamsaekError('UNKNOWN_OPTION', `${where}: unknown option "${key}" (known: ${known.join(', ')})`);
    }
  }
}
