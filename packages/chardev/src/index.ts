export { AbiMismatchError, checkModuleAbi, MODULE_ABI_PATH, moduleAbiVersion, type SysfsReader } from "./abi.js";
export {
  DEVICE_DIR,
  type DeviceName,
  type Direction,
  deviceFileName,
  devicePath,
  parseDeviceName,
} from "./device-name.js";
export { isReaderClosedError, ReaderClosedError } from "./errors.js";
export { type DeviceEntry, discoverDevices, type LinkOptions, LinkReader, openDevices, openLink } from "./link.js";
export type { ReaderStats, RingStats } from "./native.js";
export {
  type Batch,
  type BatchListener,
  copyBatch,
  openDevice,
  type ReaderOptions,
  SlotReader,
} from "./reader.js";
