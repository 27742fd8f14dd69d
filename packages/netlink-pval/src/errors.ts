// Typed errors: every failure the kernel reports keeps its errno, its code
// (as `fs` errors have) and the kernel's extended-ack text.
import { constants } from "node:os";

const CODES: Record<number, string> = Object.fromEntries(
  Object.entries(constants.errno).map(([code, errno]) => [errno, code]),
);

/** The kernel refused a request. */
export class NetlinkError extends Error {
  override name = "NetlinkError";
  /** Positive errno, e.g. 1 for EPERM. */
  readonly errno: number;
  /** Symbolic errno, e.g. "EPERM". */
  readonly code: string;
  /** The kernel's explanation (extended ack), verbatim, when it sent one. */
  readonly extack: string | undefined;
  /** What the request was, e.g. "create link pval0". */
  readonly operation: string;

  constructor(operation: string, errno: number, extack?: string, hint?: string) {
    const code = CODES[errno] ?? `E${errno}`;
    const reason = extack ?? describeErrno(errno);
    super(`${operation}: ${reason}${hint ? ` (${hint})` : ""}`);
    this.operation = operation;
    this.errno = errno;
    this.code = code;
    this.extack = extack;
  }
}

/** The request needs CAP_NET_ADMIN in the link's network namespace. */
export class PermissionError extends NetlinkError {
  override name = "PermissionError";
  constructor(operation: string, errno: number, extack?: string) {
    super(operation, errno, extack, "needs CAP_NET_ADMIN: run as root");
  }
}

/** Creating a link of kind "pval" failed because the kernel does not know the kind. */
export class ModuleNotLoadedError extends NetlinkError {
  override name = "ModuleNotLoadedError";
  constructor(operation: string, errno: number, extack?: string) {
    super(
      operation,
      errno,
      extack,
      "the pval kernel module is not loaded: load it with `modprobe pval` or `insmod kmod/pval.ko`",
    );
  }
}

/** A link named by the caller does not exist. */
export class NoSuchLinkError extends NetlinkError {
  override name = "NoSuchLinkError";
  /** The name or index that was looked up. */
  readonly link: string | number;
  constructor(operation: string, link: string | number, extack?: string) {
    super(operation, constants.errno.ENODEV, extack ?? `no link ${JSON.stringify(String(link))}`);
    this.link = link;
  }
}

/** The link exists but is not a pval link, so a pval operation refuses it. */
export class NotPvalLinkError extends Error {
  override name = "NotPvalLinkError";
  readonly code = "ENOTPVAL";
  readonly link: string;
  readonly kind: string | undefined;
  constructor(operation: string, link: string, kind: string | undefined) {
    super(`${operation}: ${link} is not a pval link (kind ${kind ?? "none"})`);
    this.link = link;
    this.kind = kind;
  }
}

function describeErrno(errno: number): string {
  switch (errno) {
    case constants.errno.EPERM:
      return "Operation not permitted";
    case constants.errno.ENODEV:
      return "No such device";
    case constants.errno.EEXIST:
      return "File exists";
    case constants.errno.EINVAL:
      return "Invalid argument";
    case constants.errno.EOPNOTSUPP:
      return "Operation not supported";
    case constants.errno.EBUSY:
      return "Device or resource busy";
    default:
      return CODES[errno] ?? `errno ${errno}`;
  }
}

/**
 * The pval.ko in the kernel speaks another ABI version (PVAL_ABI_VERSION of
 * include/uapi/linux/pval.h) than this package; a module that does not
 * report one speaks ABI 1.
 */
export class AbiMismatchError extends Error {
  override name = "AbiMismatchError";
  readonly code = "ERR_PVAL_ABI";
  /** The version the module speaks. */
  readonly moduleAbi: number;
  /** The version this package speaks. */
  readonly packageAbi: number;
  constructor(operation: string, moduleAbi: number, packageAbi: number) {
    super(
      `${operation}: pval.ko speaks ABI ${moduleAbi}, @pval/netlink speaks ABI ${packageAbi}: load the pval.ko of the same release`,
    );
    this.moduleAbi = moduleAbi;
    this.packageAbi = packageAbi;
  }
}
