// SPDX-License-Identifier: GPL-2.0
/*
 * pval: hardware timestamps of the lower device.
 *
 * Configuration.  On 6.6 and later the lower driver is configured through
 * generic_hwtstamp_get_lower()/generic_hwtstamp_set_lower(), which take a
 * kernel struct kernel_hwtstamp_config (ndo_hwtstamp_get/set).  Drivers that
 * still only implement SIOC[GS]HWTSTAMP in ndo_eth_ioctl, and every driver
 * on 6.1, read the config through a __user pointer; without set_fs() the
 * only way to hand them one is user memory, so pval maps one anonymous page
 * in the calling process (the ip(8) or netlink client that asked), copies
 * the config through it and unmaps it.  A caller without user memory (a
 * kernel thread tearing down a namespace) cannot configure such a driver:
 * the original configuration is then left as it is and a warning says so.
 * From 7.0 the kernel itself no longer configures drivers through
 * ndo_eth_ioctl, and neither does pval: a lower device without
 * ndo_hwtstamp_set is refused.
 *
 * Whether the lower device can stamp at all is asked first, through its
 * ethtool get_ts_info: a device without SOF_TIMESTAMPING_{TX,RX}_HARDWARE
 * (veth, bridges, most virtual devices) is refused with an extack message
 * instead of producing zeros.
 *
 * TX timestamps.  The hardware reports a TX timestamp through
 * skb_tstamp_tx(), which queues it on the error queue of the socket that
 * owns the packet.  pval makes a kernel socket of its own the owner of each
 * packet it wants stamped (the sender's socket is released early, as
 * tunnels do), marks it SKBTX_HW_TSTAMP and keeps a clone.  The socket's
 * sk_error_report queues a work once per timestamp, on the CPU that sent
 * the packet (the timestamp may come on any CPU, and a TX ring has its own
 * CPU as its only producer); the work reads the timestamp and writes the
 * clone into that CPU's TX ring.  Nothing polls.  Only one timestamp is
 * outstanding at a time, as much hardware allows: while it is,
 * pval_tstamp_tx_claim() returns -EBUSY and txbusydrop decides, before the
 * packet takes a sequence number.  A timestamp that never comes is given up
 * after a second: the copy is delivered with tstamp 0 when the next packet
 * wants a timestamp.
 *
 * Teardown (txtstamp off, link deleted) may meet a timestamp being
 * reported: sk_user_data is RCU, cleared and followed by a grace period
 * before the work is cancelled, and the work finds the socket until the
 * last copy has gone out.  Each stamped packet
 * carries a key of its own (tskey, reported back in ee_data with
 * SOF_TIMESTAMPING_OPT_ID), so a timestamp that comes after its packet was
 * given up is dropped instead of landing on the next packet's copy.
 */

#include <linux/errqueue.h>
#include <linux/ethtool.h>
#include <linux/if.h>
#include <linux/mm.h>
#include <linux/mman.h>
#include <linux/net_tstamp.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/sockios.h>
#include <linux/uaccess.h>
#include <net/sock.h>

#include "pval_compat.h"
#include "pval_ring.h"
#include "pval_tstamp.h"

#define PVAL_TSTAMP_TX_TIMEOUT	HZ

/* Lower device configuration. */

/* SIOC[GS]HWTSTAMP through ndo_eth_ioctl, with the config in user memory. */
static int pval_tstamp_ioctl(struct net_device *lower, int cmd, struct hwtstamp_config *cfg)
{
#ifdef PVAL_HAVE_HWTSTAMP_IOCTL
	const struct net_device_ops *ops = lower->netdev_ops;
	struct ifreq ifr = {};
	unsigned long addr;
	int err;

	if (!ops->ndo_eth_ioctl || !netif_device_present(lower))
		return -EOPNOTSUPP;
	if (!current->mm || (current->flags & PF_KTHREAD))
		return -EPERM;

	addr = vm_mmap(NULL, 0, PAGE_SIZE, PROT_READ | PROT_WRITE, MAP_ANONYMOUS | MAP_PRIVATE, 0);
	if (IS_ERR_VALUE(addr))
		return (int)addr;
	if (copy_to_user((void __user *)addr, cfg, sizeof(*cfg))) {
		err = -EFAULT;
		goto out_unmap;
	}
	strscpy(ifr.ifr_name, lower->name, sizeof(ifr.ifr_name));
	ifr.ifr_data = (void __user *)addr;
	err = ops->ndo_eth_ioctl(lower, &ifr, cmd);
	if (!err && copy_from_user(cfg, (void __user *)addr, sizeof(*cfg)))
		err = -EFAULT;
out_unmap:
	vm_munmap(addr, PAGE_SIZE);
	return err;
#else
	return -EOPNOTSUPP;
#endif
}

static int pval_tstamp_get_cfg(struct net_device *lower, int *tx_type, int *rx_filter)
{
	struct hwtstamp_config cfg = {};
	int err;

#ifdef PVAL_HAVE_NDO_HWTSTAMP
	if (lower->netdev_ops->ndo_hwtstamp_get) {
		struct kernel_hwtstamp_config kcfg = {};

		err = generic_hwtstamp_get_lower(lower, &kcfg);
		if (!err) {
			*tx_type = kcfg.tx_type;
			*rx_filter = kcfg.rx_filter;
		}
		return err;
	}
#endif
	err = pval_tstamp_ioctl(lower, SIOCGHWTSTAMP, &cfg);
	if (!err) {
		*tx_type = cfg.tx_type;
		*rx_filter = cfg.rx_filter;
	}
	return err;
}

static int pval_tstamp_set_cfg(struct net_device *lower, int tx_type, int rx_filter,
			       struct netlink_ext_ack *extack)
{
	struct hwtstamp_config cfg = { .tx_type = tx_type, .rx_filter = rx_filter };

#ifdef PVAL_HAVE_NDO_HWTSTAMP
	if (lower->netdev_ops->ndo_hwtstamp_set) {
		struct kernel_hwtstamp_config kcfg = {
			.tx_type = tx_type,
			.rx_filter = rx_filter,
		};

		return generic_hwtstamp_set_lower(lower, &kcfg, extack);
	}
#endif
	return pval_tstamp_ioctl(lower, SIOCSHWTSTAMP, &cfg);
}

/* TX timestamps. */

/*
 * May this CPU write the copy of a packet that @cpu sent?  A ring has one
 * producer, its own CPU; a CPU gone offline produces nothing any more, so
 * its copies go to the ring of the CPU at hand.
 */
static bool pval_tstamp_tx_here(unsigned int cpu)
{
	return cpu == smp_processor_id() || !cpu_online(cpu);
}

/*
 * Run the work of @cpu, where the copy waiting for it must be written; a
 * copy of a CPU gone offline is written by the CPU at hand.
 */
static void pval_tstamp_tx_kick(struct pval_tstamp *ts, unsigned int cpu)
{
	if (cpu < nr_cpu_ids && cpu_online(cpu))
		queue_work_on(cpu, system_wq, &per_cpu_ptr(ts->tx_works, cpu)->work);
	else
		schedule_work(&per_cpu_ptr(ts->tx_works, raw_smp_processor_id())->work);
}

static void pval_tstamp_tx_cancel(struct pval_tstamp *ts)
{
	unsigned int cpu;

	for_each_possible_cpu(cpu)
		cancel_work_sync(&per_cpu_ptr(ts->tx_works, cpu)->work);
}

/* Write @c into this CPU's TX ring and free it.  Under ts->lock, BH off. */
static void pval_tstamp_tx_write(struct pval_tstamp_copy *c)
{
	if (c->skb && c->rings)
		pval_rings_copy(c->rings, PVAL_DIR_TX, c->skb, c->tstamp, false);
	consume_skb(c->skb);
	c->skb = NULL;
	c->rings = NULL;
}

/*
 * The pending packet is done with (stamped, given up, or stamping stops):
 * write its copy here when this is its CPU, else hand it to the work of its
 * CPU through ts->done.  False when ts->done is still taken.  Under
 * ts->lock, BH off.
 */
static bool pval_tstamp_tx_finish(struct pval_tstamp *ts)
{
	if (pval_tstamp_tx_here(ts->pending.cpu)) {
		pval_tstamp_tx_write(&ts->pending);
	} else {
		if (ts->done.skb)
			return false;
		ts->done = ts->pending;
		ts->pending.skb = NULL;
		ts->pending.rings = NULL;
		pval_tstamp_tx_kick(ts, ts->done.cpu);
	}
	ts->pending_done = false;
	return true;
}

/*
 * The work of a CPU: take the timestamps off the socket's error queue, then
 * write the copies that belong to this CPU and send the others to theirs.
 */
static void pval_tstamp_tx_run(struct pval_tstamp *ts)
{
	struct sock *sk = ts->sock->sk;
	struct sk_buff *skb;

	while ((skb = skb_dequeue(&sk->sk_error_queue))) {
		const struct sock_exterr_skb *serr = SKB_EXT_ERR(skb);

		/*
		 * ee_data is the key pval_tstamp_tx() gave the packet: a
		 * timestamp that comes after its packet was given up matches
		 * nothing and must not land on the next packet's copy.
		 */
		if (serr->ee.ee_origin == SO_EE_ORIGIN_TIMESTAMPING &&
		    skb_hwtstamps(skb)->hwtstamp) {
			spin_lock_bh(&ts->lock);
			if (ts->pending.skb && !ts->pending_done &&
			    ts->pending_key == serr->ee.ee_data) {
				ts->pending.tstamp = ktime_to_ns(skb_hwtstamps(skb)->hwtstamp);
				ts->pending_done = true;
			}
			spin_unlock_bh(&ts->lock);
		}
		kfree_skb(skb);
	}

	spin_lock_bh(&ts->lock);
	if (ts->done.skb) {
		if (pval_tstamp_tx_here(ts->done.cpu))
			pval_tstamp_tx_write(&ts->done);
		else
			pval_tstamp_tx_kick(ts, ts->done.cpu);
	}
	/* Stamped, or stamping stops: its copy goes now (tstamp 0 if none). */
	if (ts->pending.skb && (ts->pending_done || !ts->tx_on))
		pval_tstamp_tx_finish(ts);
	spin_unlock_bh(&ts->lock);
}

static void pval_tstamp_tx_work(struct work_struct *work)
{
	pval_tstamp_tx_run(container_of(work, struct pval_tstamp_work, work)->ts);
}

/*
 * sk_error_report of our socket: any context, so defer to the work.
 * sk_user_data is RCU: pval_tstamp_tx_stop() clears it and waits for a
 * grace period before it frees anything this reads.
 */
static void pval_tstamp_error_report(struct sock *sk)
{
	struct pval_tstamp *ts;

	rcu_read_lock();
	ts = rcu_dereference_sk_user_data(sk);
	if (ts)
		pval_tstamp_tx_kick(ts, READ_ONCE(ts->pending.cpu));
	rcu_read_unlock();
}

static int pval_tstamp_tx_start(struct pval_tstamp *ts, struct netlink_ext_ack *extack)
{
	struct socket *sock;
	unsigned int cpu;
	struct sock *sk;
	int err;

	ts->tx_works = alloc_percpu(struct pval_tstamp_work);
	if (!ts->tx_works)
		return -ENOMEM;
	for_each_possible_cpu(cpu) {
		struct pval_tstamp_work *w = per_cpu_ptr(ts->tx_works, cpu);

		INIT_WORK(&w->work, pval_tstamp_tx_work);
		w->ts = ts;
	}

	err = sock_create_kern(&init_net, PF_INET, SOCK_DGRAM, IPPROTO_UDP, &sock);
	if (err) {
		NL_SET_ERR_MSG_MOD(extack, "Cannot create the socket that collects TX timestamps");
		free_percpu(ts->tx_works);
		ts->tx_works = NULL;
		return err;
	}
	sk = sock->sk;
	/*
	 * Timestamps only: no payload is cloned onto the error queue.  OPT_ID
	 * reports each packet's tskey in ee_data.
	 */
	WRITE_ONCE(sk->sk_tsflags, SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RAW_HARDWARE |
				   SOF_TIMESTAMPING_OPT_TSONLY | SOF_TIMESTAMPING_OPT_ID);
	ts->sock = sock;
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, ts);
	sk->sk_error_report = pval_tstamp_error_report;
	write_unlock_bh(&sk->sk_callback_lock);

	spin_lock_bh(&ts->lock);
	ts->claimed = false;
	ts->pending_done = false;
	ts->tx_on = true;
	spin_unlock_bh(&ts->lock);
	return 0;
}

static void pval_tstamp_tx_stop(struct pval_tstamp *ts)
{
	struct sock *sk;
	int cpu, i;

	if (!ts->sock)
		return;
	/* No new request; one in preparation is refused in pval_tstamp_tx(). */
	spin_lock_bh(&ts->lock);
	ts->tx_on = false;
	spin_unlock_bh(&ts->lock);

	sk = ts->sock->sk;
	write_lock_bh(&sk->sk_callback_lock);
	rcu_assign_sk_user_data(sk, NULL);
	write_unlock_bh(&sk->sk_callback_lock);
	/* An error report that still sees ts has queued its work by now. */
	synchronize_rcu();
	pval_tstamp_tx_cancel(ts);

	/*
	 * The copies still waiting go out now, each from its own CPU: the
	 * pending one (with its timestamp if it is on the error queue, else
	 * 0), passing through ts->done when it belongs to another CPU.
	 */
	for (i = 0; i < 4; i++) {
		spin_lock_bh(&ts->lock);
		cpu = -1;
		if (ts->done.skb)
			cpu = ts->done.cpu;
		else if (ts->pending.skb)
			cpu = ts->pending.cpu;
		spin_unlock_bh(&ts->lock);
		if (cpu < 0)
			break;
		if (cpu_online(cpu)) {
			struct work_struct *w = &per_cpu_ptr(ts->tx_works, cpu)->work;

			queue_work_on(cpu, system_wq, w);
			flush_work(w);
		} else {
			pval_tstamp_tx_run(ts);
		}
	}
	/* The runs may have kicked other works: done before the socket goes. */
	pval_tstamp_tx_cancel(ts);
	free_percpu(ts->tx_works);
	ts->tx_works = NULL;
	if (WARN_ON_ONCE(ts->pending.skb || ts->done.skb)) {
		kfree_skb(ts->pending.skb);
		kfree_skb(ts->done.skb);
		ts->pending.skb = NULL;
		ts->done.skb = NULL;
	}

	/* A packet still in flight keeps the socket until it is freed. */
	sock_release(ts->sock);
	ts->sock = NULL;
}

int pval_tstamp_tx_claim(struct pval_tstamp *ts)
{
	int err = 0;

	spin_lock(&ts->lock);
	if (!ts->tx_on) {
		err = -EOPNOTSUPP;
	} else if (ts->claimed) {
		err = -EBUSY;
	} else if (ts->pending.skb) {
		/*
		 * Stamped but not written yet, or given up after a second
		 * without a timestamp (the copy goes with 0): finish it, else
		 * the unit is busy.
		 */
		if ((!ts->pending_done &&
		     time_before(jiffies, ts->pending_since + PVAL_TSTAMP_TX_TIMEOUT)) ||
		    !pval_tstamp_tx_finish(ts))
			err = -EBUSY;
	}
	if (!err)
		ts->claimed = true;
	spin_unlock(&ts->lock);
	return err;
}

void pval_tstamp_tx_unclaim(struct pval_tstamp *ts)
{
	spin_lock(&ts->lock);
	ts->claimed = false;
	spin_unlock(&ts->lock);
}

int pval_tstamp_tx(struct pval_tstamp *ts, struct sk_buff **pskb, struct pval_rings *rings)
{
	struct sk_buff *skb = *pskb, *clone;
	int err = 0;

	spin_lock(&ts->lock);
	ts->claimed = false;
	if (!ts->tx_on) {
		err = -EOPNOTSUPP;
		goto out_unlock;
	}

	/* The flags live in shared info: never mark a packet others hold. */
	if (skb_cloned(skb) || skb_shared(skb)) {
		struct sk_buff *nskb = skb_copy(skb, GFP_ATOMIC);

		if (!nskb) {
			err = -ENOMEM;
			goto out_unlock;
		}
		consume_skb(skb);
		skb = nskb;
		*pskb = skb;
	}
	clone = skb_clone(skb, GFP_ATOMIC);
	if (!clone) {
		err = -ENOMEM;
		goto out_unlock;
	}

	skb_orphan(skb);
	skb_set_owner_w(skb, ts->sock->sk);
	skb_shinfo(skb)->tx_flags |= SKBTX_HW_TSTAMP;
	skb_shinfo(skb)->tskey = ++ts->next_key;
	ts->pending_key = ts->next_key;
	ts->pending.skb = clone;
	ts->pending.rings = rings;
	WRITE_ONCE(ts->pending.cpu, smp_processor_id());
	ts->pending.tstamp = 0;
	ts->pending_done = false;
	ts->pending_since = jiffies;
out_unlock:
	spin_unlock(&ts->lock);
	return err;
}

/* Configuration entry points. */

void pval_tstamp_init(struct pval_tstamp *ts)
{
	spin_lock_init(&ts->lock);
}

int pval_tstamp_set(struct pval_tstamp *ts, struct net_device *lower, bool tx, bool rx,
		    struct netlink_ext_ack *extack)
{
	int caps, tx_type, rx_filter, err;

	ASSERT_RTNL();
	if (tx == ts->tx && rx == ts->rx)
		return 0;

	if (!tx && !rx) {
		pval_tstamp_restore(ts, lower);
		return 0;
	}

	caps = pval_ts_info_caps(lower);
	if (tx && !(caps & SOF_TIMESTAMPING_TX_HARDWARE)) {
		NL_SET_ERR_MSG_MOD(extack, "txtstamp: the lower device has no hardware TX timestamping (ethtool -T); use swtstamp");
		return -EOPNOTSUPP;
	}
	if (rx && !(caps & SOF_TIMESTAMPING_RX_HARDWARE)) {
		NL_SET_ERR_MSG_MOD(extack, "rxtstamp: the lower device has no hardware RX timestamping (ethtool -T); use swtstamp");
		return -EOPNOTSUPP;
	}
#ifndef PVAL_HAVE_HWTSTAMP_IOCTL
	if (!lower->netdev_ops->ndo_hwtstamp_set) {
		NL_SET_ERR_MSG_MOD(extack, "The lower driver has no ndo_hwtstamp_set, through which Linux 7.0 and later configure hardware timestamps");
		return -EOPNOTSUPP;
	}
#endif

	if (!ts->saved) {
		err = pval_tstamp_get_cfg(lower, &ts->orig_tx_type, &ts->orig_rx_filter);
		if (err == -EOPNOTSUPP || err == -ERANGE) {
			/* Drivers without SIOCGHWTSTAMP: assume off. */
			ts->orig_tx_type = HWTSTAMP_TX_OFF;
			ts->orig_rx_filter = HWTSTAMP_FILTER_NONE;
		} else if (err) {
			NL_SET_ERR_MSG_MOD(extack, "Cannot read the hardware timestamp configuration of the lower device");
			return err;
		}
	}

	tx_type = tx ? HWTSTAMP_TX_ON : ts->orig_tx_type;
	rx_filter = rx ? HWTSTAMP_FILTER_ALL : ts->orig_rx_filter;
	err = pval_tstamp_set_cfg(lower, tx_type, rx_filter, extack);
	if (err) {
		if (err == -EPERM)
			NL_SET_ERR_MSG_MOD(extack, "The lower driver is configured through SIOCSHWTSTAMP, which needs a user process");
		else if (extack && !extack->_msg)
			NL_SET_ERR_MSG_MOD(extack, "The lower device refused the hardware timestamp configuration");
		return err;
	}
	ts->saved = true;

	if (tx && !ts->tx) {
		/* A driver may accept tx_type ON and not apply it. */
		if (!pval_tstamp_get_cfg(lower, &tx_type, &rx_filter) &&
		    tx_type != HWTSTAMP_TX_ON) {
			NL_SET_ERR_MSG_MOD(extack, "txtstamp: the lower device accepted hardware TX timestamps but did not turn them on");
			err = -EOPNOTSUPP;
			goto out_restore;
		}
		err = pval_tstamp_tx_start(ts, extack);
		if (err)
			goto out_restore;
	} else if (!tx && ts->tx) {
		pval_tstamp_tx_stop(ts);
	}
	ts->tx = tx;
	ts->rx = rx;
	return 0;

out_restore:
	/* Back to what was applied before: rx stays on if it was. */
	pval_tstamp_set_cfg(lower, ts->tx ? HWTSTAMP_TX_ON : ts->orig_tx_type,
			    ts->rx ? HWTSTAMP_FILTER_ALL : ts->orig_rx_filter, NULL);
	ts->saved = ts->tx || ts->rx;
	return err;
}

void pval_tstamp_restore(struct pval_tstamp *ts, struct net_device *lower)
{
	int err;

	ASSERT_RTNL();
	pval_tstamp_tx_stop(ts);
	ts->tx = false;
	ts->rx = false;
	if (!ts->saved)
		return;
	ts->saved = false;
	if (!lower || lower->reg_state != NETREG_REGISTERED)
		return;

	err = pval_tstamp_set_cfg(lower, ts->orig_tx_type, ts->orig_rx_filter, NULL);
	if (err)
		netdev_warn(lower, "pval: cannot restore the hardware timestamp configuration (tx_type %d rx_filter %d): %d\n",
			    ts->orig_tx_type, ts->orig_rx_filter, err);
}
