// Which clock stamps the copies of a pval link, per direction, from the
// link's switches (txtstamp, rxtstamp, swtstamp; kmod/README.md "What the
// timestamps mean"). Dump files and reports name it so that a reader knows
// what an interval measured with these timestamps includes.

import type { PvalSwitches } from "./link.js";

/**
 * - `hardware-phc`: the lower device's hardware timestamp (its PTP hardware
 *   clock), taken by the NIC as the frame leaves or arrives.
 * - `software-rx-stack`: CLOCK_REALTIME when the frame entered the receive
 *   stack (skb->tstamp), the stamp tcpdump and SO_TIMESTAMP get.
 * - `software-tx-xmit`: CLOCK_REALTIME in pval's xmit, before the lower
 *   device's qdisc: local queueing there counts as network delay.
 * - `none`: no timestamp (tstamp 0).
 * - `unknown`: the link's switches could not be read.
 */
export type TimestampClock = "hardware-phc" | "software-rx-stack" | "software-tx-xmit" | "none" | "unknown";

export const TIMESTAMP_CLOCKS: readonly TimestampClock[] = [
  "hardware-phc",
  "software-rx-stack",
  "software-tx-xmit",
  "none",
  "unknown",
];

/**
 * The clock of the copies of one direction. A copy that hardware left
 * unstamped takes the software clock when swtstamp is on (0 otherwise), so
 * with both on the name is the hardware one, and the description says so.
 */
export function timestampClock(
  cfg: Partial<Pick<PvalSwitches, "txtstamp" | "rxtstamp" | "swtstamp">> | undefined,
  direction: "tx" | "rx",
): TimestampClock {
  const hw = direction === "tx" ? cfg?.txtstamp : cfg?.rxtstamp;
  if (hw === undefined || cfg?.swtstamp === undefined) return "unknown";
  if (hw) return "hardware-phc";
  if (!cfg.swtstamp) return "none";
  return direction === "tx" ? "software-tx-xmit" : "software-rx-stack";
}

const DESCRIPTIONS: Record<TimestampClock, string> = {
  "hardware-phc": "hardware timestamp of the lower device (PTP hardware clock)",
  "software-rx-stack": "CLOCK_REALTIME when the frame entered the receive stack (as tcpdump)",
  "software-tx-xmit": "CLOCK_REALTIME in pval's xmit, before the lower device's qdisc",
  none: "no timestamp (0)",
  unknown: "unknown: the link's switches could not be read",
};

/** One line of text for a clock, for file headers and help. */
export function describeTimestampClock(clock: TimestampClock, swtstamp = false): string {
  const text = DESCRIPTIONS[clock];
  return clock === "hardware-phc" && swtstamp ? `${text}; software clock when none` : text;
}
