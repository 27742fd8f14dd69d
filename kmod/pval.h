/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pval: private structures shared by the files of pval.ko.
 */
#ifndef _PVAL_H
#define _PVAL_H

#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/u64_stats_sync.h>
#include <uapi/linux/pval.h>

#include "pval_compat.h"
#include "pval_tstamp.h"

struct pval_rings;

/* The switches of one link, as set over rtnetlink (IFLA_PVAL_*). */
struct pval_cfg {
	u32	link;		/* ifindex of the lower device */
	u32	ring_slots;	/* slots per ring */
	bool	ipopt;
	bool	txtstamp;
	bool	rxtstamp;
	bool	txcopy;
	bool	rxcopy;
	bool	txbusydrop;
	bool	swtstamp;
};

/*
 * Per-CPU state of the data path.  seq is the next option sequence number
 * of this CPU; the writer runs with bottom halves disabled on its own CPU,
 * readers use the u64_stats fetch/retry loop.
 */
struct pval_pcpu {
	u64_stats_t		seq;
	u64_stats_t		ipopt_inserted;
	u64_stats_t		ipopt_skipped;
	u64_stats_t		txtstamp_busy;
	u64_stats_t		ipopt_skipped_cpu;
	u64_stats_t		ipopt_skipped_bad;
	u64_stats_t		rx_tstamp_fallback;
	struct u64_stats_sync	syncp;
};

/*
 * One pval link.  It is also the lower device's rx_handler_data: a lower
 * device carries at most one pval device (the rx handler is exclusive).
 *
 * cfg is written under RTNL (WRITE_ONCE per field) and read by the data path
 * without locks (READ_ONCE); link and ring_slots never change after creation.
 */
struct pval_dev {
	struct net_device	*dev;
	struct net_device	*lower;
	netdevice_tracker	lower_tracker;
	struct pval_rings	*rings;
	struct pval_pcpu __percpu *pcpu;
	struct pval_cfg		cfg;
	struct pval_tstamp	ts;	/* hardware timestamps, pval_tstamp.c */
	bool			netstamp; /* holds net_enable_timestamp(), RTNL */
	/* Under RTNL: the lower device's address as last seen, and the
	 * unicast filter entry held on it for the pval device's own address.
	 */
	u8			lower_addr[ETH_ALEN];
	u8			uc_addr[ETH_ALEN];
	bool			uc_held;
};

/* Totals of the per-CPU counters, for IFLA_PVAL_STATS. */
struct pval_totals {
	u64	ipopt_inserted;
	u64	ipopt_skipped;
	u64	txtstamp_busy;
	u64	ipopt_skipped_cpu;
	u64	ipopt_skipped_bad;
	u64	rx_tstamp_fallback;
};

static inline struct pval_dev *pval_port_get_rcu(const struct net_device *lower)
{
	return rcu_dereference(lower->rx_handler_data);
}

static inline struct pval_dev *pval_port_get_rtnl(const struct net_device *lower)
{
	return rtnl_dereference(lower->rx_handler_data);
}

/* pval_rx.c */
rx_handler_result_t pval_rx_handle_frame(struct sk_buff **pskb);

static inline bool pval_netif_is_port(const struct net_device *lower)
{
	return rcu_access_pointer(lower->rx_handler) == pval_rx_handle_frame;
}

/* pval_tx.c */
netdev_tx_t pval_tx_xmit(struct sk_buff *skb, struct net_device *dev);
void pval_tx_totals(const struct pval_dev *pval, struct pval_totals *t);

#endif /* _PVAL_H */
