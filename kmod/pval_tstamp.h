/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pval: hardware timestamps of the lower device.
 *
 * Software timestamps (swtstamp) need nothing from here: they are
 * ktime_get_real_ns(), CLOCK_REALTIME in ns, taken where the packet crosses
 * the pval device, when its copy is written (pval_rings_copy()).
 */
#ifndef _PVAL_TSTAMP_H
#define _PVAL_TSTAMP_H

#include <linux/spinlock.h>
#include <linux/types.h>
#include <linux/workqueue.h>

struct net_device;
struct netlink_ext_ack;
struct pval_rings;
struct sk_buff;
struct socket;

/*
 * A TX copy that waits for its timestamp, or for its CPU: the ring of the
 * CPU that sent a packet has that CPU as its only producer, so the copy is
 * written there, whichever CPU the timestamp came on.
 */
struct pval_tstamp_copy {
	struct sk_buff		*skb;		/* clone of the stamped packet, or NULL */
	struct pval_rings	*rings;		/* where its copy goes, or NULL */
	unsigned int		cpu;		/* the CPU that sent it */
	u64			tstamp;		/* ns, 0 when none came */
};

/* The work that writes TX copies on one CPU. */
struct pval_tstamp_work {
	struct work_struct	work;
	struct pval_tstamp	*ts;
};

/*
 * Timestamp state of one link; embed it in the link's private data, zeroed,
 * and call pval_tstamp_init() before anything else.
 */
struct pval_tstamp {
	/* Configuration of the lower device, under RTNL. */
	bool			saved;		/* orig_* hold the config we replaced */
	bool			tx;		/* hardware TX stamping applied */
	bool			rx;		/* hardware RX stamping applied */
	int			orig_tx_type;
	int			orig_rx_filter;

	/*
	 * The one outstanding TX timestamp.  Packets sent with txtstamp are
	 * owned by sock, whose error queue receives the timestamp; its
	 * sk_error_report (sk_user_data is RCU) queues the tx_works item of
	 * the CPU that sent the packet, which writes the copy into that CPU's
	 * TX ring.  One work item per CPU: a work item is never run on two
	 * CPUs at once, so one item moved from CPU to CPU would stay on the
	 * first.  Allocated while TX stamping is on.
	 */
	struct socket		*sock;
	struct pval_tstamp_work __percpu *tx_works;
	spinlock_t		lock;		/* the fields below */
	bool			tx_on;		/* xmit may request timestamps */
	bool			claimed;	/* an xmit is preparing the next request */
	bool			pending_done;	/* pending.tstamp has come */
	struct pval_tstamp_copy	pending;	/* the packet awaiting its timestamp */
	struct pval_tstamp_copy	done;		/* a finished copy awaiting its CPU */
	unsigned long		pending_since;	/* jiffies */
	u32			pending_key;	/* its tskey */
	u32			next_key;	/* the last tskey given */
};

void pval_tstamp_init(struct pval_tstamp *ts);

/*
 * Apply the txtstamp/rxtstamp switches to @lower under RTNL (newlink and
 * changelink).  The first change saves the lower device's configuration;
 * turning both off restores it.  Fails with an extack message when @lower
 * cannot timestamp in hardware (veth, most virtual devices) or cannot be
 * configured from the kernel.
 */
int pval_tstamp_set(struct pval_tstamp *ts, struct net_device *lower, bool tx, bool rx,
		    struct netlink_ext_ack *extack);

/*
 * Turn everything off and give @lower its original configuration back
 * (dellink, before pval_rings_destroy()).  @lower may be going away
 * (NETDEV_UNREGISTER): its configuration is then left alone.
 */
void pval_tstamp_restore(struct pval_tstamp *ts, struct net_device *lower);

/*
 * xmit with txtstamp on, before the packet is numbered (ipopt): reserve the
 * timestamp unit for this packet, so that a packet that will not get it is
 * known before it takes a sequence number.
 *
 *   0:        reserved; call pval_tstamp_tx(), or pval_tstamp_tx_unclaim()
 *             when the packet is dropped meanwhile.
 *   -EBUSY:   a timestamp is outstanding (the lower device holds only one);
 *             count txtstamp_busy, then drop the packet (txbusydrop on) or
 *             send it unstamped and copy it with tstamp 0 (off).
 *   other:    stamping is off: send it unstamped, copy it with tstamp 0.
 */
int pval_tstamp_tx_claim(struct pval_tstamp *ts);
void pval_tstamp_tx_unclaim(struct pval_tstamp *ts);

/*
 * After a successful pval_tstamp_tx_claim(), on the same CPU, just before
 * dev_queue_xmit(): request a hardware timestamp for *@pskb (which may be
 * replaced by an unshared copy owned by pval).  @rings is where the TX copy
 * goes (txcopy on) or NULL.
 *
 *   0:        requested; the TX copy is written into this CPU's TX ring
 *             with the hardware timestamp when it arrives (or with 0 after
 *             one second).
 *   other:    not requested (stamping turned off meanwhile, no memory):
 *             send it unstamped, copy it with tstamp 0.
 */
int pval_tstamp_tx(struct pval_tstamp *ts, struct sk_buff **pskb, struct pval_rings *rings);

#endif /* _PVAL_TSTAMP_H */
