/**
 * A capture file that cannot be read further. `offset` is the byte offset in
 * the file of the header or record that is wrong; every record before it has
 * already been delivered.
 */
export class CaptureFormatError extends Error {
  override readonly name = "CaptureFormatError";
  constructor(
    message: string,
    readonly offset: number,
  ) {
    super(`${message} (at file offset ${offset})`);
  }
}
