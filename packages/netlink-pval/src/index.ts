export {
  describeTimestampClock,
  TIMESTAMP_CLOCKS,
  type TimestampClock,
  timestampClock,
} from "./clock.js";
export * as codec from "./codec.js";
export {
  AbiMismatchError,
  ModuleNotLoadedError,
  NetlinkError,
  NoSuchLinkError,
  NotPvalLinkError,
  PermissionError,
} from "./errors.js";
export {
  type CreateLinkOptions,
  checkLinkAbi,
  createLink,
  decodeLinkMessage,
  deleteLink,
  getAnyLink,
  getLink,
  isPvalLink,
  type Link,
  type LinkPeer,
  type LinkRef,
  type LinkStats,
  listAllLinks,
  listLinks,
  PVAL_OPTIONS,
  PVAL_STATS_FIELDS,
  PVAL_SWITCHES,
  type PvalChanges,
  type PvalInfo,
  type PvalLink,
  PvalNetlink,
  type PvalStats,
  type PvalSwitches,
  resolvePeers,
  setLink,
} from "./link.js";
export { type RtnlOptions, RtnlSocket, SocketClosedError } from "./socket.js";
