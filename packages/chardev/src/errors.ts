// Errors of @pval/chardev that are not system errors. System errors come
// from the addon shaped like Node's fs errors: `code` (ENOENT, EBUSY, EACCES,
// ENODEV...), `errno`, `syscall` and `path`, with a message naming the device.

/** A read was pending (or requested) when the reader was closed. */
export class ReaderClosedError extends Error {
  override readonly name = "ReaderClosedError";
  readonly code = "ERR_PVAL_READER_CLOSED";
  /** The device path, or the link name for a link reader. */
  readonly path: string;

  constructor(path: string) {
    super(`${path}: reader closed`);
    this.path = path;
  }
}

/** True for the error a pending read gets when its reader is closed. */
export function isReaderClosedError(err: unknown): err is ReaderClosedError {
  return err instanceof ReaderClosedError;
}
