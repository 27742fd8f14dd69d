// One print path, two formats (iproute2's print_* helpers): every field goes
// through one call that knows its JSON key and its text form. JSON carries
// raw values; text may abbreviate. Build a document with a Printer, then take
// the output with toString().

export type JsonScalar = string | number | bigint | boolean | null;
export type JsonValue = JsonScalar | JsonValue[] | { [key: string]: JsonValue };

export interface PrinterOptions {
  json: boolean;
  pretty: boolean;
}

export class Printer {
  readonly json: boolean;
  readonly #pretty: boolean;
  #text = "";
  readonly #docs: Record<string, JsonValue>[] = [];
  #stack: Record<string, JsonValue>[] = [];

  constructor(options: PrinterOptions) {
    this.json = options.json || options.pretty;
    this.#pretty = options.pretty;
  }

  /** Start one top-level object (one link). */
  beginObject(): void {
    const obj: Record<string, JsonValue> = {};
    this.#docs.push(obj);
    this.#stack = [obj];
  }

  /** Open a nested JSON object under `key`; text is unaffected. */
  open(key: string): void {
    const obj: Record<string, JsonValue> = {};
    this.#top()[key] = obj;
    this.#stack.push(obj);
  }

  close(): void {
    this.#stack.pop();
  }

  /**
   * A field in both formats: `value` under `key` in JSON, `text` in text
   * (null: nothing in text). Undefined values are skipped in both.
   */
  any(key: string, text: string | null, value: JsonValue | undefined): void {
    if (value === undefined) return;
    if (this.json) this.#top()[key] = value;
    else if (text !== null) this.#text += text;
  }

  /** Text only (separators, line breaks, headings). */
  text(text: string): void {
    if (!this.json) this.#text += text;
  }

  /** JSON only. */
  jsonOnly(key: string, value: JsonValue | undefined): void {
    if (this.json && value !== undefined) this.#top()[key] = value;
  }

  toString(): string {
    if (!this.json) return this.#text;
    const marked = JSON.stringify(
      this.#docs,
      (_key, v: unknown) => (typeof v === "bigint" ? `\u0000bigint:${v}` : v),
      this.#pretty ? 4 : undefined,
    );
    // u64 counters stay exact: print the digits, not a rounded double.
    return `${marked.replace(/"\\u0000bigint:(\d+)"/g, "$1")}\n`;
  }

  #top(): Record<string, JsonValue> {
    const top = this.#stack[this.#stack.length - 1];
    if (top === undefined) throw new Error("Printer: field outside of beginObject()");
    return top;
  }
}
