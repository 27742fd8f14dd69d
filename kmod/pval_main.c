// SPDX-License-Identifier: GPL-2.0
/*
 * pval: packet interval measurement link.
 *
 * A pval device enslaves one lower Ethernet device through its rx handler,
 * like a bridge port or a macvlan: every frame received on the lower device
 * is received on the pval device, every frame sent on the pval device
 * leaves through the lower device.  On the way out, IPv4 packets can be
 * stamped with the pval IP option (pval_tx.c), and copies of both
 * directions can be handed to user space (pval_ring.c).
 *
 * This file holds module init/exit, the rtnetlink link ops, the netdev ops
 * and the netdevice notifier.
 */
#include <linux/etherdevice.h>
#include <linux/if_arp.h>
#include <linux/log2.h>
#include <linux/module.h>
#include <linux/netdevice.h>
#include <net/netlink.h>
#include <net/rtnetlink.h>

#include "pval.h"
#include "pval_ring.h"

static struct rtnl_link_ops pval_link_ops;
static void pval_setup(struct net_device *dev);

/* The switches: u8 attributes that hold 0 (off) or 1 (on). */
static const int pval_switches[] = {
	IFLA_PVAL_IPOPT, IFLA_PVAL_TXTSTAMP, IFLA_PVAL_RXTSTAMP,
	IFLA_PVAL_TXCOPY, IFLA_PVAL_RXCOPY, IFLA_PVAL_TXBUSYDROP,
	IFLA_PVAL_SWTSTAMP,
};

static const struct nla_policy pval_policy[IFLA_PVAL_MAX + 1] = {
	[IFLA_PVAL_UNSPEC]	= { .strict_start_type = IFLA_PVAL_LINK },
	[IFLA_PVAL_LINK]	= { .type = NLA_U32 },
	[IFLA_PVAL_IPOPT]	= { .type = NLA_U8 },
	[IFLA_PVAL_TXTSTAMP]	= { .type = NLA_U8 },
	[IFLA_PVAL_RXTSTAMP]	= { .type = NLA_U8 },
	[IFLA_PVAL_TXCOPY]	= { .type = NLA_U8 },
	[IFLA_PVAL_RXCOPY]	= { .type = NLA_U8 },
	[IFLA_PVAL_TXBUSYDROP]	= { .type = NLA_U8 },
	[IFLA_PVAL_SWTSTAMP]	= { .type = NLA_U8 },
	[IFLA_PVAL_RING_SLOTS]	= { .type = NLA_U32 },
	[IFLA_PVAL_PAD]		= { .type = NLA_REJECT,
				    .reject_message = "IFLA_PVAL_PAD is padding, not a setting" },
	[IFLA_PVAL_STATS]	= { .type = NLA_REJECT,
				    .reject_message = "IFLA_PVAL_STATS is reported by the kernel, it cannot be set" },
	[IFLA_PVAL_ABI_VERSION]	= { .type = NLA_REJECT,
				    .reject_message = "IFLA_PVAL_ABI_VERSION is reported by the kernel, it cannot be set" },
};

/* Stateless checks of one request, before any device is looked at. */
static int pval_validate(struct nlattr *tb[], struct nlattr *data[],
			 struct netlink_ext_ack *extack)
{
	unsigned int i;

	if (tb[IFLA_ADDRESS]) {
		if (nla_len(tb[IFLA_ADDRESS]) != ETH_ALEN) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
					    "Ethernet address must be 6 bytes");
			return -EINVAL;
		}
		if (!is_valid_ether_addr(nla_data(tb[IFLA_ADDRESS]))) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_ADDRESS],
					    "Ethernet address must be unicast and non-zero");
			return -EADDRNOTAVAIL;
		}
	}

	if (!data)
		return 0;

	for (i = 0; i < ARRAY_SIZE(pval_switches); i++) {
		const struct nlattr *attr = data[pval_switches[i]];

		if (attr && nla_get_u8(attr) > 1) {
			NL_SET_ERR_MSG_ATTR(extack, attr,
					    "pval switches take 0 (off) or 1 (on)");
			return -EINVAL;
		}
	}

	if (data[IFLA_PVAL_RING_SLOTS]) {
		u32 slots = nla_get_u32(data[IFLA_PVAL_RING_SLOTS]);

		if (slots < PVAL_RING_SLOTS_MIN || slots > PVAL_RING_SLOTS_MAX ||
		    !is_power_of_2(slots)) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_PVAL_RING_SLOTS],
					    "Ring slots must be a power of two from 2 to 65536");
			return -EINVAL;
		}
	}
	return 0;
}

/*
 * Attributes to configuration, shared by newlink and changelink.  cfg holds
 * the current (or default) configuration and receives the requested
 * changes.  What may only be set at creation fails here for changelink.
 */
static int pval_nl2cfg(struct nlattr *tb[], struct nlattr *data[],
		       struct pval_cfg *cfg, bool changelink,
		       struct netlink_ext_ack *extack)
{
	struct nlattr *link = data ? data[IFLA_PVAL_LINK] : NULL;

	if (changelink) {
		if (link || tb[IFLA_LINK]) {
			NL_SET_ERR_MSG_ATTR(extack, link ?: tb[IFLA_LINK],
					    "The lower device of a pval link cannot be changed");
			return -EOPNOTSUPP;
		}
		if (data && data[IFLA_PVAL_RING_SLOTS]) {
			NL_SET_ERR_MSG_ATTR(extack, data[IFLA_PVAL_RING_SLOTS],
					    "Ring slots can only be set when the link is created");
			return -EOPNOTSUPP;
		}
	} else {
		if (link && tb[IFLA_LINK] &&
		    nla_get_u32(link) != nla_get_u32(tb[IFLA_LINK])) {
			NL_SET_ERR_MSG_ATTR(extack, link,
					    "IFLA_PVAL_LINK and IFLA_LINK name different lower devices");
			return -EINVAL;
		}
		if (!link)
			link = tb[IFLA_LINK];
		if (!link) {
			NL_SET_ERR_MSG(extack,
				       "No lower device: IFLA_PVAL_LINK (or IFLA_LINK) is required");
			return -EINVAL;
		}
		cfg->link = nla_get_u32(link);
		if (data && data[IFLA_PVAL_RING_SLOTS])
			cfg->ring_slots = nla_get_u32(data[IFLA_PVAL_RING_SLOTS]);
	}

	if (!data)
		return 0;
	if (data[IFLA_PVAL_IPOPT])
		cfg->ipopt = nla_get_u8(data[IFLA_PVAL_IPOPT]);
	if (data[IFLA_PVAL_TXTSTAMP])
		cfg->txtstamp = nla_get_u8(data[IFLA_PVAL_TXTSTAMP]);
	if (data[IFLA_PVAL_RXTSTAMP])
		cfg->rxtstamp = nla_get_u8(data[IFLA_PVAL_RXTSTAMP]);
	if (data[IFLA_PVAL_TXCOPY])
		cfg->txcopy = nla_get_u8(data[IFLA_PVAL_TXCOPY]);
	if (data[IFLA_PVAL_RXCOPY])
		cfg->rxcopy = nla_get_u8(data[IFLA_PVAL_RXCOPY]);
	if (data[IFLA_PVAL_TXBUSYDROP])
		cfg->txbusydrop = nla_get_u8(data[IFLA_PVAL_TXBUSYDROP]);
	if (data[IFLA_PVAL_SWTSTAMP])
		cfg->swtstamp = nla_get_u8(data[IFLA_PVAL_SWTSTAMP]);
	return 0;
}

/*
 * Hardware timestamping of the lower device (txtstamp, rxtstamp), applied
 * before a new cfg is published.  pval_tstamp_set() refuses, with an extack
 * message, a lower device that cannot timestamp in hardware.
 */
static int pval_tstamp_config(struct pval_dev *pval, const struct pval_cfg *cfg,
			      struct netlink_ext_ack *extack)
{
	if (cfg->txtstamp == pval->cfg.txtstamp &&
	    cfg->rxtstamp == pval->cfg.rxtstamp)
		return 0;
	/*
	 * This changes the lower device's hardware configuration: a link moved
	 * into a container's namespace must not let that namespace's root
	 * reconfigure the host's NIC.
	 */
	if (!ns_capable(dev_net(pval->lower)->user_ns, CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(extack,
			       "txtstamp/rxtstamp configure the lower device: CAP_NET_ADMIN over its network namespace is needed");
		return -EPERM;
	}
	return pval_tstamp_set(&pval->ts, pval->lower, cfg->txtstamp,
			       cfg->rxtstamp, extack);
}

/*
 * While swtstamp is on, the stack stamps every received frame (skb->tstamp,
 * as for a socket with SO_TIMESTAMP) and RX copies take that stamp.  A link
 * counts as a user from the moment its swtstamp is on until it is off or the
 * link is deleted (dellink, also on module unload and namespace exit); the
 * module holds one net_enable_timestamp() reference while it has users.
 *
 * Each enable or disable of the stack's timestamps flips a static key,
 * which rewrites kernel text on every CPU.  So that links created, deleted
 * or toggled in a loop do not flip it each time, the reference is released
 * PVAL_NETSTAMP_HOLD after the last user went, unless a new one came.
 */
#define PVAL_NETSTAMP_HOLD	(2 * HZ)

static unsigned int pval_netstamp_users;	/* RTNL */
static bool pval_netstamp_held;			/* RTNL */

static void pval_netstamp_release(struct work_struct *work)
{
	rtnl_lock();
	if (!pval_netstamp_users && pval_netstamp_held) {
		pval_netstamp_held = false;
		net_disable_timestamp();
	}
	rtnl_unlock();
}

static DECLARE_DELAYED_WORK(pval_netstamp_work, pval_netstamp_release);

static void pval_netstamp_set(struct pval_dev *pval, bool on)
{
	ASSERT_RTNL();
	if (pval->netstamp == on)
		return;
	pval->netstamp = on;
	if (on) {
		pval_netstamp_users++;
		if (!pval_netstamp_held) {
			pval_netstamp_held = true;
			net_enable_timestamp();
		}
	} else if (!--pval_netstamp_users) {
		mod_delayed_work(system_wq, &pval_netstamp_work, PVAL_NETSTAMP_HOLD);
	}
}

/* Module unload, after every link is gone: the reference goes at once. */
static void pval_netstamp_exit(void)
{
	cancel_delayed_work_sync(&pval_netstamp_work);
	if (pval_netstamp_held) {
		pval_netstamp_held = false;
		net_disable_timestamp();
	}
}

/* Publish a new configuration to the lockless data path. */
static void pval_cfg_apply(struct pval_dev *pval, const struct pval_cfg *cfg)
{
	ASSERT_RTNL();
	pval_netstamp_set(pval, cfg->swtstamp);
	WRITE_ONCE(pval->cfg.ipopt, cfg->ipopt);
	WRITE_ONCE(pval->cfg.txtstamp, cfg->txtstamp);
	WRITE_ONCE(pval->cfg.rxtstamp, cfg->rxtstamp);
	WRITE_ONCE(pval->cfg.txcopy, cfg->txcopy);
	WRITE_ONCE(pval->cfg.rxcopy, cfg->rxcopy);
	WRITE_ONCE(pval->cfg.txbusydrop, cfg->txbusydrop);
	WRITE_ONCE(pval->cfg.swtstamp, cfg->swtstamp);
}

static int pval_lower_check(const struct net_device *lower,
			    const struct nlattr *attr,
			    struct netlink_ext_ack *extack)
{
	if (lower->flags & IFF_LOOPBACK) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "Lower device is a loopback device");
		return -EINVAL;
	}
	if (lower->rtnl_link_ops == &pval_link_ops) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "Lower device is itself a pval device");
		return -EINVAL;
	}
	if (lower->type != ARPHRD_ETHER || lower->addr_len != ETH_ALEN) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "Lower device is not an Ethernet device");
		return -EINVAL;
	}
	if (netdev_is_rx_handler_busy((struct net_device *)lower)) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "Lower device is busy: it already has an rx handler (bridge port, bond slave, macvlan, pval...)");
		return -EBUSY;
	}
	if (lower->mtu < ETH_MIN_MTU + PVAL_IPOPT_LEN) {
		NL_SET_ERR_MSG_ATTR(extack, attr,
				    "Lower device MTU leaves no room for the pval option");
		return -EINVAL;
	}
	return 0;
}

static int pval_newlink_net(struct net *link_net, struct net_device *dev,
			    struct nlattr *tb[], struct nlattr *data[],
			    struct netlink_ext_ack *extack)
{
	struct pval_dev *pval = netdev_priv(dev);
	struct pval_cfg cfg = {
		.ring_slots	= 0,	/* the rings' default */
		.txbusydrop	= true,
	};
	struct nlattr *link_attr;
	struct pval_rings *rings;
	struct net_device *lower;
	int err;

	/*
	 * The character devices are global (/dev/pval, /sys/class/pval):
	 * only the initial user namespace's admin may create them.
	 */
	if (!capable(CAP_NET_ADMIN)) {
		NL_SET_ERR_MSG(extack,
			       "Creating a pval link needs CAP_NET_ADMIN in the initial user namespace: its character devices are global");
		return -EPERM;
	}

	err = pval_nl2cfg(tb, data, &cfg, false, extack);
	if (err)
		return err;
	link_attr = data && data[IFLA_PVAL_LINK] ? data[IFLA_PVAL_LINK] : tb[IFLA_LINK];

	lower = __dev_get_by_index(link_net, cfg.link);
	if (!lower) {
		NL_SET_ERR_MSG_ATTR(extack, link_attr,
				    "Unknown lower device: no interface has this ifindex");
		return -ENODEV;
	}
	err = pval_lower_check(lower, link_attr, extack);
	if (err)
		return err;

	if (tb[IFLA_MTU]) {
		if (dev->mtu > lower->mtu - PVAL_IPOPT_LEN) {
			NL_SET_ERR_MSG_ATTR(extack, tb[IFLA_MTU],
					    "MTU must leave room for the pval option: at most the lower device's MTU - 12");
			return -EINVAL;
		}
	} else {
		dev->mtu = lower->mtu - PVAL_IPOPT_LEN;
	}
	dev->max_mtu = lower->mtu - PVAL_IPOPT_LEN;
	if (!tb[IFLA_ADDRESS])
		eth_hw_addr_set(dev, lower->dev_addr);
	ether_addr_copy(pval->lower_addr, lower->dev_addr);
	dev->needed_headroom = lower->needed_headroom + PVAL_IPOPT_LEN;
	dev->needed_tailroom = lower->needed_tailroom;
	dev->hard_header_len = lower->hard_header_len;

	pval->dev = dev;
	pval->lower = lower;
	pval->cfg.link = cfg.link;

	/* ndo_init takes the reference on the lower device. */
	err = register_netdevice(dev);
	if (err)
		return err;

	rings = pval_rings_create(dev, cfg.ring_slots, extack);
	if (IS_ERR(rings)) {
		err = PTR_ERR(rings);
		goto out_unregister;
	}
	pval->rings = rings;
	pval->cfg.ring_slots = pval_rings_nslots(rings);

	err = pval_tstamp_config(pval, &cfg, extack);
	if (err)
		goto out_rings_destroy;
	pval_cfg_apply(pval, &cfg);

	err = netdev_rx_handler_register(lower, pval_rx_handle_frame, pval);
	if (err) {
		NL_SET_ERR_MSG_ATTR(extack, link_attr,
				    "Lower device is busy: its rx handler could not be registered");
		goto out_tstamp_reset;
	}

	err = netdev_upper_dev_link(lower, dev, extack);
	if (err)
		goto out_rx_handler_unregister;

	netif_stacked_transfer_operstate(lower, dev);
	return 0;

out_rx_handler_unregister:
	netdev_rx_handler_unregister(lower);
out_tstamp_reset:
	pval_netstamp_set(pval, false);
	pval_tstamp_restore(&pval->ts, lower);
	WRITE_ONCE(pval->cfg.txtstamp, false);
	WRITE_ONCE(pval->cfg.rxtstamp, false);
out_rings_destroy:
	pval_rings_destroy(pval->rings);
	pval->rings = NULL;
out_unregister:
	unregister_netdevice(dev);
	return err;
}

PVAL_DEFINE_NEWLINK(pval_newlink, pval_newlink_net)

static int pval_changelink(struct net_device *dev, struct nlattr *tb[],
			   struct nlattr *data[],
			   struct netlink_ext_ack *extack)
{
	struct pval_dev *pval = netdev_priv(dev);
	struct pval_cfg cfg = pval->cfg;
	int err;

	err = pval_nl2cfg(tb, data, &cfg, true, extack);
	if (err)
		return err;
	err = pval_tstamp_config(pval, &cfg, extack);
	if (err)
		return err;
	pval_cfg_apply(pval, &cfg);
	return 0;
}

/*
 * Detach from the lower device; the rings and the reference on the lower
 * device go in ndo_uninit, once the device is closed and no packet is in
 * flight.
 */
static void pval_dellink(struct net_device *dev, struct list_head *head)
{
	struct pval_dev *pval = netdev_priv(dev);

	netdev_upper_dev_unlink(pval->lower, dev);
	netdev_rx_handler_unregister(pval->lower);
	pval_netstamp_set(pval, false);
	pval_tstamp_restore(&pval->ts, pval->lower);
	WRITE_ONCE(pval->cfg.txtstamp, false);
	WRITE_ONCE(pval->cfg.rxtstamp, false);
	unregister_netdevice_queue(dev, head);
}

static size_t pval_get_size(const struct net_device *dev)
{
	return nla_total_size(sizeof(u32)) +	/* IFLA_PVAL_LINK */
	       nla_total_size(sizeof(u8)) +	/* IFLA_PVAL_IPOPT */
	       nla_total_size(sizeof(u8)) +	/* IFLA_PVAL_TXTSTAMP */
	       nla_total_size(sizeof(u8)) +	/* IFLA_PVAL_RXTSTAMP */
	       nla_total_size(sizeof(u8)) +	/* IFLA_PVAL_TXCOPY */
	       nla_total_size(sizeof(u8)) +	/* IFLA_PVAL_RXCOPY */
	       nla_total_size(sizeof(u8)) +	/* IFLA_PVAL_TXBUSYDROP */
	       nla_total_size(sizeof(u8)) +	/* IFLA_PVAL_SWTSTAMP */
	       nla_total_size(sizeof(u32)) +	/* IFLA_PVAL_RING_SLOTS */
	       nla_total_size(0) +		/* IFLA_PVAL_STATS */
	       nla_total_size_64bit(sizeof(u64)) + /* IFLA_PVAL_STATS_IPOPT_INSERTED */
	       nla_total_size_64bit(sizeof(u64)) + /* IFLA_PVAL_STATS_IPOPT_SKIPPED */
	       nla_total_size_64bit(sizeof(u64)) + /* IFLA_PVAL_STATS_TX_COPY_DROPS */
	       nla_total_size_64bit(sizeof(u64)) + /* IFLA_PVAL_STATS_RX_COPY_DROPS */
	       nla_total_size_64bit(sizeof(u64)) + /* IFLA_PVAL_STATS_TXTSTAMP_BUSY */
	       nla_total_size_64bit(sizeof(u64)) + /* IFLA_PVAL_STATS_IPOPT_SKIPPED_CPU */
	       nla_total_size_64bit(sizeof(u64)) + /* IFLA_PVAL_STATS_IPOPT_SKIPPED_BAD */
	       nla_total_size_64bit(sizeof(u64)) + /* IFLA_PVAL_STATS_RX_TSTAMP_FALLBACK */
	       nla_total_size(sizeof(u32)) +	/* IFLA_PVAL_ABI_VERSION */
	       0;
}

static int pval_fill_info(struct sk_buff *skb, const struct net_device *dev)
{
	const struct pval_dev *pval = netdev_priv(dev);
	struct pval_rings *rings = pval->rings;
	struct pval_totals t;
	struct nlattr *stats;

	pval_tx_totals(pval, &t);

	if (nla_put_u32(skb, IFLA_PVAL_LINK, READ_ONCE(pval->lower->ifindex)) ||
	    nla_put_u8(skb, IFLA_PVAL_IPOPT, READ_ONCE(pval->cfg.ipopt)) ||
	    nla_put_u8(skb, IFLA_PVAL_TXTSTAMP, READ_ONCE(pval->cfg.txtstamp)) ||
	    nla_put_u8(skb, IFLA_PVAL_RXTSTAMP, READ_ONCE(pval->cfg.rxtstamp)) ||
	    nla_put_u8(skb, IFLA_PVAL_TXCOPY, READ_ONCE(pval->cfg.txcopy)) ||
	    nla_put_u8(skb, IFLA_PVAL_RXCOPY, READ_ONCE(pval->cfg.rxcopy)) ||
	    nla_put_u8(skb, IFLA_PVAL_TXBUSYDROP, READ_ONCE(pval->cfg.txbusydrop)) ||
	    nla_put_u8(skb, IFLA_PVAL_SWTSTAMP, READ_ONCE(pval->cfg.swtstamp)) ||
	    nla_put_u32(skb, IFLA_PVAL_RING_SLOTS, pval->cfg.ring_slots))
		goto nla_put_failure;

	stats = nla_nest_start(skb, IFLA_PVAL_STATS);
	if (!stats)
		goto nla_put_failure;
	if (nla_put_u64_64bit(skb, IFLA_PVAL_STATS_IPOPT_INSERTED,
			      t.ipopt_inserted, IFLA_PVAL_STATS_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_PVAL_STATS_IPOPT_SKIPPED,
			      t.ipopt_skipped, IFLA_PVAL_STATS_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_PVAL_STATS_TX_COPY_DROPS,
			      rings ? pval_rings_drops(rings, PVAL_DIR_TX) : 0,
			      IFLA_PVAL_STATS_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_PVAL_STATS_RX_COPY_DROPS,
			      rings ? pval_rings_drops(rings, PVAL_DIR_RX) : 0,
			      IFLA_PVAL_STATS_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_PVAL_STATS_TXTSTAMP_BUSY,
			      t.txtstamp_busy, IFLA_PVAL_STATS_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_PVAL_STATS_IPOPT_SKIPPED_CPU,
			      t.ipopt_skipped_cpu, IFLA_PVAL_STATS_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_PVAL_STATS_IPOPT_SKIPPED_BAD,
			      t.ipopt_skipped_bad, IFLA_PVAL_STATS_PAD) ||
	    nla_put_u64_64bit(skb, IFLA_PVAL_STATS_RX_TSTAMP_FALLBACK,
			      t.rx_tstamp_fallback, IFLA_PVAL_STATS_PAD))
		goto nla_put_failure;
	nla_nest_end(skb, stats);

	if (nla_put_u32(skb, IFLA_PVAL_ABI_VERSION, PVAL_ABI_VERSION))
		goto nla_put_failure;
	return 0;

nla_put_failure:
	return -EMSGSIZE;
}

static struct net *pval_get_link_net(const struct net_device *dev)
{
	const struct pval_dev *pval = netdev_priv(dev);

	return dev_net(pval->lower);
}

static struct rtnl_link_ops pval_link_ops __read_mostly = {
	.kind		= PVAL_KIND,
	.priv_size	= sizeof(struct pval_dev),
	.setup		= pval_setup,
	.maxtype	= IFLA_PVAL_MAX,
	.policy		= pval_policy,
	.validate	= pval_validate,
	.newlink	= pval_newlink,
	.changelink	= pval_changelink,
	.dellink	= pval_dellink,
	.get_size	= pval_get_size,
	.fill_info	= pval_fill_info,
	.get_link_net	= pval_get_link_net,
};

/* netdev ops */

static int pval_dev_init(struct net_device *dev)
{
	struct pval_dev *pval = netdev_priv(dev);

	dev->tstats = netdev_alloc_pcpu_stats(struct pcpu_sw_netstats);
	if (!dev->tstats)
		return -ENOMEM;
	pval->pcpu = netdev_alloc_pcpu_stats(struct pval_pcpu);
	if (!pval->pcpu)
		goto out_free_tstats;

	netdev_lockdep_set_classes(dev);
	netdev_hold(pval->lower, &pval->lower_tracker, GFP_KERNEL);
	return 0;

out_free_tstats:
	free_percpu(dev->tstats);
	dev->tstats = NULL;
	return -ENOMEM;
}

/* The device is closed and unlisted: no packet is in flight any more. */
static void pval_dev_uninit(struct net_device *dev)
{
	struct pval_dev *pval = netdev_priv(dev);

	if (pval->rings) {
		pval_rings_destroy(pval->rings);
		pval->rings = NULL;
	}
	netdev_put(pval->lower, &pval->lower_tracker);
}

/* Last reference gone (priv_destructor); readers of the stats are done. */
static void pval_dev_free(struct net_device *dev)
{
	struct pval_dev *pval = netdev_priv(dev);

	free_percpu(pval->pcpu);
	free_percpu(dev->tstats);
}

/*
 * The unicast filter entry on the lower device for the pval device's own
 * address: held while the pval device runs with an address other than the
 * lower device's.  Called whenever one of the three changes (open, stop,
 * our address, the lower device's address), so adds and deletes balance.
 */
static int pval_uc_update(struct pval_dev *pval)
{
	struct net_device *dev = pval->dev;
	bool want = netif_running(dev) &&
		    !ether_addr_equal(dev->dev_addr, pval->lower->dev_addr);
	int err;

	if (want && pval->uc_held && ether_addr_equal(pval->uc_addr, dev->dev_addr))
		return 0;
	if (want) {
		err = dev_uc_add(pval->lower, dev->dev_addr);
		if (err)
			return err;
	}
	if (pval->uc_held)
		dev_uc_del(pval->lower, pval->uc_addr);
	pval->uc_held = want;
	if (want)
		ether_addr_copy(pval->uc_addr, dev->dev_addr);
	return 0;
}

static int pval_dev_open(struct net_device *dev)
{
	struct pval_dev *pval = netdev_priv(dev);
	struct net_device *lower = pval->lower;
	int err;

	err = pval_uc_update(pval);
	if (err)
		return err;
	if (dev->flags & IFF_ALLMULTI) {
		err = dev_set_allmulti(lower, 1);
		if (err)
			goto out_uc_del;
	}
	if (dev->flags & IFF_PROMISC) {
		err = dev_set_promiscuity(lower, 1);
		if (err)
			goto out_allmulti;
	}
	return 0;

out_allmulti:
	if (dev->flags & IFF_ALLMULTI)
		dev_set_allmulti(lower, -1);
out_uc_del:
	if (pval->uc_held) {
		dev_uc_del(lower, pval->uc_addr);
		pval->uc_held = false;
	}
	return err;
}

/* netif_running() is already false here: pval_uc_update() drops the entry. */
static int pval_dev_stop(struct net_device *dev)
{
	struct pval_dev *pval = netdev_priv(dev);
	struct net_device *lower = pval->lower;

	dev_uc_unsync(lower, dev);
	dev_mc_unsync(lower, dev);
	if (dev->flags & IFF_PROMISC)
		dev_set_promiscuity(lower, -1);
	if (dev->flags & IFF_ALLMULTI)
		dev_set_allmulti(lower, -1);
	pval_uc_update(pval);
	return 0;
}

static int pval_dev_set_mac_address(struct net_device *dev, void *p)
{
	struct pval_dev *pval = netdev_priv(dev);
	struct sockaddr *addr = p;
	u8 old[ETH_ALEN];
	int err;

	if (!is_valid_ether_addr(addr->sa_data))
		return -EADDRNOTAVAIL;

	ether_addr_copy(old, dev->dev_addr);
	eth_hw_addr_set(dev, addr->sa_data);
	err = pval_uc_update(pval);
	if (err)
		eth_hw_addr_set(dev, old);
	return err;
}

static int pval_dev_change_mtu(struct net_device *dev, int new_mtu)
{
	struct pval_dev *pval = netdev_priv(dev);

	if (new_mtu > (int)pval->lower->mtu - PVAL_IPOPT_LEN) {
		netdev_warn(dev, "MTU %d leaves no room for the pval option: at most %d\n",
			    new_mtu, pval->lower->mtu - PVAL_IPOPT_LEN);
		return -EINVAL;
	}
	WRITE_ONCE(dev->mtu, new_mtu);
	return 0;
}

static void pval_dev_change_rx_flags(struct net_device *dev, int change)
{
	struct pval_dev *pval = netdev_priv(dev);

	if (!(dev->flags & IFF_UP))
		return;
	if (change & IFF_ALLMULTI)
		dev_set_allmulti(pval->lower, dev->flags & IFF_ALLMULTI ? 1 : -1);
	if (change & IFF_PROMISC)
		dev_set_promiscuity(pval->lower, dev->flags & IFF_PROMISC ? 1 : -1);
}

static void pval_dev_set_rx_mode(struct net_device *dev)
{
	struct pval_dev *pval = netdev_priv(dev);

	dev_uc_sync(pval->lower, dev);
	dev_mc_sync(pval->lower, dev);
}

static int pval_dev_get_iflink(const struct net_device *dev)
{
	const struct pval_dev *pval = netdev_priv(dev);

	return READ_ONCE(pval->lower->ifindex);
}

static const struct net_device_ops pval_netdev_ops = {
	.ndo_init		= pval_dev_init,
	.ndo_uninit		= pval_dev_uninit,
	.ndo_open		= pval_dev_open,
	.ndo_stop		= pval_dev_stop,
	.ndo_start_xmit		= pval_tx_xmit,
	.ndo_get_stats64	= dev_get_tstats64,
	.ndo_set_mac_address	= pval_dev_set_mac_address,
	.ndo_validate_addr	= eth_validate_addr,
	.ndo_change_mtu		= pval_dev_change_mtu,
	.ndo_change_rx_flags	= pval_dev_change_rx_flags,
	.ndo_set_rx_mode	= pval_dev_set_rx_mode,
	.ndo_get_iflink		= pval_dev_get_iflink,
};

/* No GSO or TSO: the core segments before ndo_start_xmit (see pval_tx.c). */
#define PVAL_FEATURES (NETIF_F_SG | NETIF_F_HW_CSUM | NETIF_F_HIGHDMA | \
		       NETIF_F_FRAGLIST)

static void pval_setup(struct net_device *dev)
{
	ether_setup(dev);

	dev->netdev_ops = &pval_netdev_ops;
	dev->needs_free_netdev = true;
	dev->priv_destructor = pval_dev_free;
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	/*
	 * No netpoll (netconsole): it would transmit from any context,
	 * beside the per-CPU producer of the TX rings and sequence numbers.
	 */
	dev->priv_flags |= IFF_NO_QUEUE | IFF_NO_RX_HANDLER | IFF_UNICAST_FLT |
			   IFF_DISABLE_NETPOLL;
	dev->features = PVAL_FEATURES;
	dev->hw_features = PVAL_FEATURES;
	pval_set_lltx(dev);
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU - PVAL_IPOPT_LEN;
	eth_hw_addr_random(dev);

	pval_tstamp_init(&((struct pval_dev *)netdev_priv(dev))->ts);
}

/* netdevice notifier: follow the lower device, and our own renames. */

static int pval_notify_lower(struct net_device *lower, unsigned long event)
{
	struct pval_dev *pval = pval_port_get_rtnl(lower);
	struct net_device *dev = pval->dev;
	LIST_HEAD(list_kill);

	switch (event) {
	case NETDEV_UP:
	case NETDEV_DOWN:
	case NETDEV_CHANGE:
		netif_stacked_transfer_operstate(lower, dev);
		break;
	case NETDEV_CHANGEMTU:
		/* Keep room for the option: max_mtu follows the lower MTU. */
		dev->max_mtu = max_t(int, lower->mtu - PVAL_IPOPT_LEN, ETH_MIN_MTU);
		if (dev->mtu > dev->max_mtu)
			dev_set_mtu(dev, dev->max_mtu);
		break;
	case NETDEV_CHANGEADDR:
		/*
		 * A pval device that has the lower device's address keeps
		 * having it, as a macvlan in passthru mode or an ipvlan does;
		 * one with an address of its own keeps its filter entry.
		 */
		if (ether_addr_equal(dev->dev_addr, pval->lower_addr)) {
			eth_hw_addr_set(dev, lower->dev_addr);
			call_netdevice_notifiers(NETDEV_CHANGEADDR, dev);
		}
		ether_addr_copy(pval->lower_addr, lower->dev_addr);
		if (pval_uc_update(pval))
			netdev_warn(dev, "cannot add its address to the unicast filter of %s\n",
				    lower->name);
		break;
	case NETDEV_PRE_TYPE_CHANGE:
		/* The lower device must stay Ethernet. */
		return NOTIFY_BAD;
	case NETDEV_UNREGISTER:
		/* Moving the lower device to another netns keeps the link. */
		if (lower->reg_state != NETREG_UNREGISTERING)
			break;
		pval_dellink(dev, &list_kill);
		unregister_netdevice_many(&list_kill);
		break;
	}
	return NOTIFY_DONE;
}

static int pval_notify(struct notifier_block *nb, unsigned long event,
		       void *ptr)
{
	struct net_device *dev = netdev_notifier_info_to_dev(ptr);

	if (pval_netif_is_port(dev))
		return pval_notify_lower(dev, event);

	if (dev->rtnl_link_ops != &pval_link_ops)
		return NOTIFY_DONE;

	/*
	 * Renamed: NETDEV_CHANGENAME can refuse, and the core then puts the
	 * old name back.  A move to another namespace that renames the link
	 * (ip link set pval0 netns X name foo, when X has a pval0) renames it
	 * without NETDEV_CHANGENAME: NETDEV_REGISTER in the new namespace is
	 * the first event that sees the new name, and it cannot refuse; the
	 * devices then keep their names if they cannot take the new one.
	 */
	if (event == NETDEV_CHANGENAME || event == NETDEV_REGISTER) {
		struct pval_dev *pval = netdev_priv(dev);
		int err;

		/* No rings yet while newlink registers the device. */
		if (!pval->rings)
			return NOTIFY_DONE;
		err = pval_rings_rename(pval->rings, dev);
		if (event == NETDEV_CHANGENAME)
			return notifier_from_errno(err);
	}
	return NOTIFY_DONE;
}

static struct notifier_block pval_notifier_block __read_mostly = {
	.notifier_call = pval_notify,
};

static int __init pval_init_module(void)
{
	int err;

	err = pval_rings_module_init();
	if (err)
		return err;

	err = register_netdevice_notifier(&pval_notifier_block);
	if (err)
		goto out_rings_module_exit;

	err = rtnl_link_register(&pval_link_ops);
	if (err)
		goto out_unregister_notifier;

	return 0;

out_unregister_notifier:
	unregister_netdevice_notifier(&pval_notifier_block);
out_rings_module_exit:
	pval_rings_module_exit();
	return err;
}

static void __exit pval_cleanup_module(void)
{
	rtnl_link_unregister(&pval_link_ops);
	pval_netstamp_exit();
	unregister_netdevice_notifier(&pval_notifier_block);
	pval_rings_module_exit();
}

/* The ABI this module speaks, for user space to check before it reads. */
static unsigned int abi_version = PVAL_ABI_VERSION;
module_param(abi_version, uint, 0444);
MODULE_PARM_DESC(abi_version, "Version of the user-space ABI (include/uapi/linux/pval.h), read-only");

module_init(pval_init_module);
module_exit(pval_cleanup_module);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("pval: packet interval measurement link (IPv4 option 222, per-CPU packet copies)");
MODULE_ALIAS_RTNL_LINK(PVAL_KIND);
MODULE_VERSION("0.2.0");
