// A pcapng file that `pval print -w` and `pval dump -w` save packets to,
// built by @pval/decode's PcapngWriter: a section header, the interfaces
// (each with its real snapshot length), packets with their direction when
// known, and blocks encoded elsewhere (slot records, ring drop statistics).
//
// Blocks gather in the writer and go out in one write(2) per MiB, or after
// every call with `packetBuffered` (tcpdump's -U; `pval dump` writes each
// batch as it comes). "-" is stdout.

import type { PacketToWrite, PcapngInterfaceOptions, PcapngWriter } from "@pval/decode";
import { FdOutput } from "./output.js";

const FLUSH_AT = 1 << 20;

export interface PcapngSinkOptions {
  /** The section's shb_userappl. */
  application: string;
  /** Write after every packet or block instead of in 1 MiB blocks. */
  packetBuffered?: boolean;
}

export class PcapngSink {
  readonly #out: FdOutput;
  readonly #writer: PcapngWriter;
  readonly #packetBuffered: boolean;

  private constructor(out: FdOutput, writer: PcapngWriter, packetBuffered: boolean) {
    this.#out = out;
    this.#writer = writer;
    this.#packetBuffered = packetBuffered;
  }

  static async open(path: string, options: PcapngSinkOptions): Promise<PcapngSink> {
    const { PcapngWriter } = await import("@pval/decode");
    const out = FdOutput.open(path);
    return new PcapngSink(out, new PcapngWriter({ application: options.application }), options.packetBuffered ?? false);
  }

  /** Adds an interface description; returns its id for the packets. */
  addInterface(options: PcapngInterfaceOptions): number {
    const id = this.#writer.addInterface(options);
    this.#written();
    return id;
  }

  /** The number of interfaces added. */
  get interfaces(): number {
    return this.#writer.interfaces;
  }

  packet(packet: PacketToWrite): void {
    this.#writer.packet(packet);
    this.#written();
  }

  /** Blocks encoded elsewhere, written in order with the packets. */
  blocks(bytes: Uint8Array): void {
    this.#writer.block(bytes);
    this.#written();
  }

  flush(): void {
    if (this.#writer.pending > 0) this.#out.writeNow(this.#writer.take());
  }

  close(): void {
    this.flush();
    this.#out.close();
  }

  #written(): void {
    if (this.#packetBuffered || this.#writer.pending >= FLUSH_AT) this.flush();
  }
}
