/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pval: per-CPU rings of packet copies and their character devices.
 *
 * Every pval link owns one TX and one RX ring per possible CPU, each exposed
 * as /dev/pval/<ifname>-{tx,rx}-cpu-<n> (mode 0600).  The datapath of a CPU
 * is the only producer of that CPU's rings; the one reader that holds the
 * device open is the only consumer.
 */
#ifndef _PVAL_RING_H
#define _PVAL_RING_H

#include <linux/types.h>

struct net_device;
struct netlink_ext_ack;
struct sk_buff;

/* All TX and RX rings and character devices of one link. */
struct pval_rings;

enum pval_dir {
	PVAL_DIR_TX,
	PVAL_DIR_RX,
};

/*
 * Create the rings and devices of @dev, named after dev->name.  Call after
 * register_netdevice() (the name is final), under RTNL.  @nslots is the
 * ring size (IFLA_PVAL_RING_SLOTS), 0 for the module default.  Returns an
 * ERR_PTR with an extack message on failure: ring size out of range, a
 * /dev/pval name in use by a link of another namespace, no minors left.
 */
struct pval_rings *pval_rings_create(struct net_device *dev, u32 nslots,
				     struct netlink_ext_ack *extack);

/*
 * Remove the devices under RTNL (dellink/uninit).  Readers get ENODEV once
 * the slots they have not read are drained.  The memory goes away one RCU
 * grace period after the last reader closes, so a datapath that loaded the
 * pointer under RCU may still call pval_rings_copy() on it.
 */
void pval_rings_destroy(struct pval_rings *rings);

/*
 * Copy @skb (from its Ethernet header) into the current CPU's ring of
 * direction @dir.  Softirq or xmit context (BH disabled).  @tstamp is a
 * hardware timestamp in ns, 0 when none; then, with @swtstamp, the copy
 * gets the software timestamp (CLOCK_REALTIME ns, read here, so only when
 * a copy is made), else 0.  No-op while no reader holds the device; a copy
 * that does not fit is counted.  True when a slot was written.
 */
bool pval_rings_copy(struct pval_rings *rings, enum pval_dir dir,
		     const struct sk_buff *skb, u64 tstamp, bool swtstamp);

/* Copies lost (ring full or no memory), all rings of direction @dir. */
u64 pval_rings_drops(struct pval_rings *rings, enum pval_dir dir);

/* Slots per ring of @rings (for IFLA_PVAL_RING_SLOTS in fill_info). */
u32 pval_rings_nslots(const struct pval_rings *rings);

/*
 * NETDEV_CHANGENAME (or NETDEV_REGISTER after a move to another namespace):
 * rename the devices after dev->name.  Returns a negative errno (and logs
 * why) to refuse the rename: the new names are in use by a link of another
 * namespace, or the caller lacks CAP_NET_ADMIN in the initial user
 * namespace; for NETDEV_CHANGENAME the caller returns it through
 * notifier_from_errno() so the core restores the old name.
 */
int pval_rings_rename(struct pval_rings *rings, struct net_device *dev);

/* Module init and exit hooks: init before rtnl_link_register(), exit after
 * rtnl_link_unregister(). */
int pval_rings_module_init(void);
void pval_rings_module_exit(void);

#endif /* _PVAL_RING_H */
