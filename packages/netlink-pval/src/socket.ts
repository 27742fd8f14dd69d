// An rtnetlink connection: sends requests, matches replies by sequence
// number, gathers multi-part dumps, turns NLMSG_ERROR into typed errors.

import { constants } from "node:os";
import { isAbsolute, join } from "node:path";
import {
  DecodeError,
  encodeMessage,
  HOST_LITTLE_ENDIAN,
  NETLINK_ROUTE,
  NLM_F_ACK,
  NLM_F_DUMP,
  NLM_F_DUMP_INTR,
  NLM_F_REQUEST,
  NLMSG_DONE,
  NLMSG_ERROR,
  NLMSG_NOOP,
  type Nlmsg,
  parseMessages,
  parseNlmsgErr,
} from "./codec.js";
import { NetlinkError, PermissionError } from "./errors.js";
import { loadBinding, type NativeSocket } from "./native.js";

/** Where to open the connection. */
export interface RtnlOptions {
  /**
   * Network namespace: a name under /run/netns (as `ip netns add` makes) or
   * a path such as /proc/PID/ns/net. Default: the caller's namespace.
   */
  netns?: string;
}

/** The file of a network namespace: a name under /run/netns (as `ip netns add` makes) or a path as given. */
export function netnsPath(netns: string): string {
  return isAbsolute(netns) ? netns : join("/run/netns", netns);
}

interface Pending {
  operation: string;
  dump: boolean;
  replies: Nlmsg[];
  resolve: (replies: Nlmsg[]) => void;
  reject: (err: Error) => void;
}

/** A closed connection was used, or it closed with requests still in flight. */
export class SocketClosedError extends Error {
  override name = "SocketClosedError";
  readonly code = "ERR_SOCKET_CLOSED";
}

export class RtnlSocket {
  readonly #socket: NativeSocket;
  readonly #pending = new Map<number, Pending>();
  #seq = Math.floor(Math.random() * 0x7fffffff);
  #closed = false;

  private constructor(options: RtnlOptions) {
    const { Socket } = loadBinding();
    const netns = options.netns === undefined ? undefined : netnsPath(options.netns);
    try {
      this.#socket = new Socket(
        NETLINK_ROUTE,
        (datagram) => this.#onDatagram(datagram),
        (err) => this.#failAll(err),
        netns,
      );
    } catch (err) {
      throw openError(err, options.netns);
    }
  }

  /** Open a NETLINK_ROUTE socket. Throws a Node-style errno error if it cannot. */
  static open(options: RtnlOptions = {}): RtnlSocket {
    return new RtnlSocket(options);
  }

  /**
   * Send one request and collect its replies. A plain request resolves on the
   * kernel's ack with the messages received before it; a dump (`NLM_F_DUMP`)
   * resolves on NLMSG_DONE with every part.
   */
  request(operation: string, type: number, flags: number, ...body: Uint8Array[]): Promise<Nlmsg[]> {
    if (this.#closed) return Promise.reject(new SocketClosedError(`${operation}: netlink socket is closed`));
    const seq = (this.#seq = (this.#seq + 1) >>> 0);
    const dump = (flags & NLM_F_DUMP) === NLM_F_DUMP;
    const message = encodeMessage(
      { type, flags: flags | NLM_F_REQUEST | (dump ? 0 : NLM_F_ACK), seq, pid: 0 },
      ...body,
    );
    return new Promise<Nlmsg[]>((resolve, reject) => {
      try {
        this.#socket.send(message);
      } catch (err) {
        reject(err);
        return;
      }
      if (this.#pending.size === 0) this.#socket.ref();
      this.#pending.set(seq, { operation, dump, replies: [], resolve, reject });
    });
  }

  /** Close the socket; pending requests fail with SocketClosedError. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#failAll(new SocketClosedError("netlink socket closed with requests pending"));
    this.#socket.close();
  }

  #settle(seq: number, outcome: { replies: Nlmsg[] } | { error: Error }): void {
    const pending = this.#pending.get(seq);
    if (pending === undefined) return;
    this.#pending.delete(seq);
    if (this.#pending.size === 0 && !this.#closed) this.#socket.unref();
    if ("error" in outcome) pending.reject(outcome.error);
    else pending.resolve(outcome.replies);
  }

  #onDatagram(datagram: Buffer): void {
    let messages: Nlmsg[];
    try {
      messages = parseMessages(datagram);
    } catch (err) {
      this.#failAll(err instanceof Error ? err : new DecodeError(String(err)));
      return;
    }
    for (const msg of messages) {
      const pending = this.#pending.get(msg.seq);
      if (pending === undefined || msg.type === NLMSG_NOOP) continue;
      if (msg.type === NLMSG_ERROR) {
        const err = parseNlmsgErr(msg);
        if (err.error === 0) this.#settle(msg.seq, { replies: pending.replies });
        else this.#settle(msg.seq, { error: kernelError(pending.operation, -err.error, err.extack) });
      } else if (msg.type === NLMSG_DONE) {
        const status = msg.payload.byteLength >= 4 ? readS32(msg.payload) : 0;
        if (status < 0) this.#settle(msg.seq, { error: kernelError(pending.operation, -status) });
        else if (msg.flags & NLM_F_DUMP_INTR) {
          this.#settle(msg.seq, {
            error: new NetlinkError(pending.operation, constants.errno.EAGAIN, "dump was interrupted by a change"),
          });
        } else this.#settle(msg.seq, { replies: pending.replies });
      } else {
        pending.replies.push(msg);
      }
    }
  }

  #failAll(err: Error): void {
    for (const seq of [...this.#pending.keys()]) this.#settle(seq, { error: err });
  }
}

function openError(err: unknown, netns: string | undefined): unknown {
  const e = err as NodeJS.ErrnoException;
  if (typeof e?.errno !== "number") return err;
  const errno = -e.errno;
  const where = netns === undefined ? "open netlink socket" : `open netlink socket in network namespace ${netns}`;
  if (errno === constants.errno.ENOENT && e.syscall === "open netns") {
    return new NetlinkError(where, errno, `network namespace "${netns}" does not exist`);
  }
  if (errno === constants.errno.EPERM || errno === constants.errno.EACCES) {
    return new PermissionError(where, errno, e.message);
  }
  return new NetlinkError(where, errno, e.message);
}

/** The typed error for a kernel errno. */
export function kernelError(operation: string, errno: number, extack?: string): NetlinkError {
  if (errno === constants.errno.EPERM) return new PermissionError(operation, errno, extack);
  return new NetlinkError(operation, errno, extack);
}

function readS32(buf: Uint8Array): number {
  return new DataView(buf.buffer, buf.byteOffset, buf.byteLength).getInt32(0, HOST_LITTLE_ENDIAN);
}
