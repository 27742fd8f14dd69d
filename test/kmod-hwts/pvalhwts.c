// SPDX-License-Identifier: GPL-2.0
/*
 * pvalhwts: pairs of Ethernet devices, joined like veth, that timestamp
 * packets the way a NIC with a PTP hardware clock does, with the clock
 * emulated in software.  It lets pval's txtstamp/rxtstamp run against a
 * device that really stamps, in a VM without such a NIC.
 *
 * Loading the module creates `pairs` pairs hwts0/hwts1, hwts2/hwts3, ...
 * A frame sent on one end is received on the other (netif_rx).  Deleting
 * one end (ip link del) deletes both.
 *
 * The clock ("PHC") reads ktime_get_ns() + PVALHWTS_PHC_OFFSET_NS: it never
 * goes back and its values cannot be mistaken for CLOCK_REALTIME or a
 * software stamp.
 *
 * Configuration: SIOCSHWTSTAMP/SIOCGHWTSTAMP in ndo_eth_ioctl (`legacy=1`,
 * and always before 6.6), or ndo_hwtstamp_get/ndo_hwtstamp_set.  tx_type
 * OFF or ON; any rx_filter other than NONE is applied as ALL.
 *
 * TX: with tx_type ON, a packet that asks for a hardware timestamp
 * (SKBTX_HW_TSTAMP) is marked SKBTX_IN_PROGRESS and a clone holding its
 * socket is kept; the clock is read as the packet leaves and a work item
 * reports the stamp with skb_tstamp_tx(), `tx_delay_ms` later.  One stamp
 * is outstanding at a time: a packet asking for one meanwhile is sent
 * without (counted in tx_busy).  `tx_drop_every=N` loses every Nth stamp
 * (never reported).  `tx_stamp_cpu=N` reports every stamp from CPU N, as
 * a NIC whose interrupt is bound to one CPU does.  `tx_ignore_on=1` accepts
 * tx_type ON and leaves TX stamping off (it reads back OFF), as a driver
 * that cannot stamp TX and does not say so.
 *
 * RX: with rx_filter ALL, every received frame carries the clock in
 * skb_hwtstamps().
 *
 * /sys/class/net/<dev>/pvalhwts/ shows the interface, the configuration and
 * the counters.
 */
#include <linux/etherdevice.h>
#include <linux/ethtool.h>
#include <linux/module.h>
#include <linux/net_tstamp.h>
#include <linux/netdevice.h>
#include <linux/rtnetlink.h>
#include <linux/skbuff.h>
#include <linux/spinlock.h>
#include <linux/uaccess.h>
#include <linux/version.h>
#include <linux/workqueue.h>
#include <net/rtnetlink.h>

#define PVALHWTS_PHC_OFFSET_NS	1000000000000000ULL	/* 1e15 ns */

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define PVALHWTS_HAVE_NDO_HWTSTAMP	1
#else
#define PVALHWTS_HAVE_NDO_HWTSTAMP	0
#endif

#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
#define pvalhwts_ts_info	kernel_ethtool_ts_info
#else
#define pvalhwts_ts_info	ethtool_ts_info
#endif

static unsigned int pairs = 1;
module_param(pairs, uint, 0444);
MODULE_PARM_DESC(pairs, "device pairs created at load (hwts0/hwts1, ...)");

static bool legacy;
module_param(legacy, bool, 0444);
MODULE_PARM_DESC(legacy, "configure through SIOC[GS]HWTSTAMP in ndo_eth_ioctl only (always so before 6.6)");

static unsigned int tx_drop_every;
module_param(tx_drop_every, uint, 0644);
MODULE_PARM_DESC(tx_drop_every, "lose every Nth TX timestamp (0: none)");

static unsigned int tx_delay_ms;
module_param(tx_delay_ms, uint, 0644);
MODULE_PARM_DESC(tx_delay_ms, "report a TX timestamp this long after the packet left (0: at once)");

static int tx_stamp_cpu = -1;
module_param(tx_stamp_cpu, int, 0644);
MODULE_PARM_DESC(tx_stamp_cpu, "report TX timestamps from this CPU, as a NIC interrupt bound to one CPU does (-1: the sending CPU)");

static bool tx_ignore_on;
module_param(tx_ignore_on, bool, 0644);
MODULE_PARM_DESC(tx_ignore_on, "accept tx_type ON without applying it (reads back OFF), as a driver that cannot stamp TX");

struct pvalhwts_priv {
	struct net_device __rcu	*peer;
	int			tx_type;	/* HWTSTAMP_TX_*, WRITE_ONCE under RTNL */
	int			rx_filter;	/* HWTSTAMP_FILTER_*, likewise */

	spinlock_t		tx_lock;	/* tx_skb, tx_ns, tx_count */
	struct sk_buff		*tx_skb;	/* clone awaiting its TX stamp */
	u64			tx_ns;		/* its stamp */
	unsigned int		tx_count;	/* stamps taken, for tx_drop_every */
	struct delayed_work	tx_work;

	u64			tx_last_ns;	/* the last stamp reported */
	atomic_long_t		tx_stamps;	/* reported */
	atomic_long_t		tx_lost;	/* lost on purpose (tx_drop_every) */
	atomic_long_t		tx_busy;	/* requests while one was outstanding */
	atomic_long_t		rx_stamps;
};

static u64 pvalhwts_phc_read(void)
{
	return ktime_get_ns() + PVALHWTS_PHC_OFFSET_NS;
}

/* Configuration. */

static int pvalhwts_cfg_apply(struct net_device *dev, int flags, int tx_type, int *rx_filter)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);

	if (flags)
		return -EINVAL;
	if (tx_type != HWTSTAMP_TX_OFF && tx_type != HWTSTAMP_TX_ON)
		return -ERANGE;
	if (*rx_filter < HWTSTAMP_FILTER_NONE || *rx_filter >= __HWTSTAMP_FILTER_CNT)
		return -ERANGE;
	if (*rx_filter != HWTSTAMP_FILTER_NONE)
		*rx_filter = HWTSTAMP_FILTER_ALL;
	if (READ_ONCE(tx_ignore_on))
		tx_type = HWTSTAMP_TX_OFF;
	WRITE_ONCE(priv->tx_type, tx_type);
	WRITE_ONCE(priv->rx_filter, *rx_filter);
	return 0;
}

static int pvalhwts_eth_ioctl(struct net_device *dev, struct ifreq *ifr, int cmd)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);
	struct hwtstamp_config cfg;
	int err;

	switch (cmd) {
	case SIOCSHWTSTAMP:
		if (copy_from_user(&cfg, ifr->ifr_data, sizeof(cfg)))
			return -EFAULT;
		err = pvalhwts_cfg_apply(dev, cfg.flags, cfg.tx_type, &cfg.rx_filter);
		if (err)
			return err;
		break;
	case SIOCGHWTSTAMP:
		cfg.flags = 0;
		cfg.tx_type = READ_ONCE(priv->tx_type);
		cfg.rx_filter = READ_ONCE(priv->rx_filter);
		break;
	default:
		return -EOPNOTSUPP;
	}
	return copy_to_user(ifr->ifr_data, &cfg, sizeof(cfg)) ? -EFAULT : 0;
}

#if PVALHWTS_HAVE_NDO_HWTSTAMP
static int pvalhwts_hwtstamp_get(struct net_device *dev, struct kernel_hwtstamp_config *kcfg)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);

	kcfg->flags = 0;
	kcfg->tx_type = READ_ONCE(priv->tx_type);
	kcfg->rx_filter = READ_ONCE(priv->rx_filter);
	return 0;
}

static int pvalhwts_hwtstamp_set(struct net_device *dev, struct kernel_hwtstamp_config *kcfg,
				 struct netlink_ext_ack *extack)
{
	int err = pvalhwts_cfg_apply(dev, kcfg->flags, kcfg->tx_type, &kcfg->rx_filter);

	if (err)
		NL_SET_ERR_MSG_MOD(extack, "pvalhwts: tx_type OFF/ON, no flags");
	return err;
}
#endif

static int pvalhwts_get_ts_info(struct net_device *dev, struct pvalhwts_ts_info *info)
{
	info->so_timestamping = SOF_TIMESTAMPING_TX_HARDWARE | SOF_TIMESTAMPING_RX_HARDWARE |
				SOF_TIMESTAMPING_RAW_HARDWARE;
	info->phc_index = -1;
	info->tx_types = BIT(HWTSTAMP_TX_OFF) | BIT(HWTSTAMP_TX_ON);
	info->rx_filters = BIT(HWTSTAMP_FILTER_NONE) | BIT(HWTSTAMP_FILTER_ALL);
	return 0;
}

static const struct ethtool_ops pvalhwts_ethtool_ops = {
	.get_link	= ethtool_op_get_link,
	.get_ts_info	= pvalhwts_get_ts_info,
};

/* TX timestamps. */

static void pvalhwts_tx_work(struct work_struct *work)
{
	struct pvalhwts_priv *priv = container_of(to_delayed_work(work), struct pvalhwts_priv,
						  tx_work);
	struct skb_shared_hwtstamps hwts = {};
	unsigned int every = READ_ONCE(tx_drop_every);
	struct sk_buff *skb;
	bool lose;

	/* Reading the stamp frees the slot for the next packet. */
	spin_lock_bh(&priv->tx_lock);
	hwts.hwtstamp = ns_to_ktime(priv->tx_ns);
	skb = priv->tx_skb;
	priv->tx_skb = NULL;
	if (skb)
		priv->tx_count++;
	lose = skb && every && priv->tx_count % every == 0;
	spin_unlock_bh(&priv->tx_lock);
	if (!skb)
		return;

	if (lose) {
		atomic_long_inc(&priv->tx_lost);
		kfree_skb(skb);
		return;
	}
	skb_tstamp_tx(skb, &hwts);
	WRITE_ONCE(priv->tx_last_ns, ktime_to_ns(hwts.hwtstamp));
	atomic_long_inc(&priv->tx_stamps);
	consume_skb(skb);
}

/* The pending clone, if any, goes without a stamp (device going down). */
static void pvalhwts_tx_flush(struct pvalhwts_priv *priv)
{
	struct sk_buff *skb;

	cancel_delayed_work_sync(&priv->tx_work);
	spin_lock_bh(&priv->tx_lock);
	skb = priv->tx_skb;
	priv->tx_skb = NULL;
	spin_unlock_bh(&priv->tx_lock);
	kfree_skb(skb);
}

/* Report the stamp taken from the work, on tx_stamp_cpu if it is set. */
static void pvalhwts_tx_report_later(struct pvalhwts_priv *priv)
{
	unsigned long delay = msecs_to_jiffies(READ_ONCE(tx_delay_ms));
	int cpu = READ_ONCE(tx_stamp_cpu);

	if (cpu >= 0 && cpu < nr_cpu_ids && cpu_online(cpu))
		queue_delayed_work_on(cpu, system_wq, &priv->tx_work, delay);
	else
		schedule_delayed_work(&priv->tx_work, delay);
}

/* xmit, BH off: take a TX stamp for @skb if it asks for one and we can. */
static void pvalhwts_tx_stamp(struct pvalhwts_priv *priv, struct sk_buff *skb)
{
	struct sk_buff *clone;

	if (READ_ONCE(priv->tx_type) != HWTSTAMP_TX_ON)
		return;
	spin_lock(&priv->tx_lock);
	if (priv->tx_skb) {
		atomic_long_inc(&priv->tx_busy);
	} else {
		/* Holds a reference on the socket the stamp is reported to. */
		clone = skb_clone_sk(skb);
		if (clone) {
			skb_shinfo(skb)->tx_flags |= SKBTX_IN_PROGRESS;
			priv->tx_skb = clone;
			priv->tx_ns = pvalhwts_phc_read();
			pvalhwts_tx_report_later(priv);
		}
	}
	spin_unlock(&priv->tx_lock);
}

/* Datapath. */

static netdev_tx_t pvalhwts_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);
	struct pvalhwts_priv *ppriv;
	struct net_device *peer;
	unsigned int len = skb->len;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	if (unlikely(!peer))
		goto drop;

	if (skb_shinfo(skb)->tx_flags & SKBTX_HW_TSTAMP)
		pvalhwts_tx_stamp(priv, skb);
	skb_tx_timestamp(skb);

	/*
	 * Shared info carries the timestamps, so the peer gets a packet of
	 * its own, not one that the TX stamp's clone (or a tap) still holds.
	 */
	skb = skb_unshare(skb, GFP_ATOMIC);
	if (!skb || __dev_forward_skb(peer, skb))
		goto drop_counted;

	ppriv = netdev_priv(peer);
	if (READ_ONCE(ppriv->rx_filter) == HWTSTAMP_FILTER_ALL) {
		skb_hwtstamps(skb)->hwtstamp = ns_to_ktime(pvalhwts_phc_read());
		atomic_long_inc(&ppriv->rx_stamps);
	} else {
		skb_hwtstamps(skb)->hwtstamp = 0;
	}
	if (netif_rx(skb) != NET_RX_SUCCESS) {
		DEV_STATS_INC(peer, rx_dropped);
		goto out;
	}
	DEV_STATS_INC(dev, tx_packets);
	DEV_STATS_ADD(dev, tx_bytes, len);
	DEV_STATS_INC(peer, rx_packets);
	DEV_STATS_ADD(peer, rx_bytes, len);
	goto out;

drop:
	kfree_skb(skb);
drop_counted:
	DEV_STATS_INC(dev, tx_dropped);
out:
	rcu_read_unlock();
	return NETDEV_TX_OK;
}

static int pvalhwts_open(struct net_device *dev)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	if (peer && (peer->flags & IFF_UP)) {
		netif_carrier_on(dev);
		netif_carrier_on(peer);
	}
	return 0;
}

static int pvalhwts_stop(struct net_device *dev)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	netif_carrier_off(dev);
	if (peer)
		netif_carrier_off(peer);
	pvalhwts_tx_flush(priv);
	return 0;
}

static int pvalhwts_get_iflink(const struct net_device *dev)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);
	struct net_device *peer;
	int iflink;

	rcu_read_lock();
	peer = rcu_dereference(priv->peer);
	iflink = peer ? peer->ifindex : 0;
	rcu_read_unlock();
	return iflink;
}

static const struct net_device_ops pvalhwts_ops_ioctl = {
	.ndo_open		= pvalhwts_open,
	.ndo_stop		= pvalhwts_stop,
	.ndo_start_xmit		= pvalhwts_xmit,
	.ndo_get_iflink		= pvalhwts_get_iflink,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_eth_ioctl		= pvalhwts_eth_ioctl,
};

#if PVALHWTS_HAVE_NDO_HWTSTAMP
static const struct net_device_ops pvalhwts_ops_ndo = {
	.ndo_open		= pvalhwts_open,
	.ndo_stop		= pvalhwts_stop,
	.ndo_start_xmit		= pvalhwts_xmit,
	.ndo_get_iflink		= pvalhwts_get_iflink,
	.ndo_set_mac_address	= eth_mac_addr,
	.ndo_hwtstamp_get	= pvalhwts_hwtstamp_get,
	.ndo_hwtstamp_set	= pvalhwts_hwtstamp_set,
};
#endif

/* sysfs: /sys/class/net/<dev>/pvalhwts/ */

static struct pvalhwts_priv *pvalhwts_priv_of(struct device *d)
{
	return netdev_priv(to_net_dev(d));
}

static ssize_t interface_show(struct device *d, struct device_attribute *attr, char *buf)
{
	return sysfs_emit(buf, "%s\n", to_net_dev(d)->netdev_ops == &pvalhwts_ops_ioctl ?
			  "ioctl" : "ndo_hwtstamp");
}
static DEVICE_ATTR_RO(interface);

#define PVALHWTS_ATTR_INT(name, read)						\
static ssize_t name##_show(struct device *d, struct device_attribute *attr,	\
			   char *buf)						\
{										\
	return sysfs_emit(buf, "%ld\n", (long)read(&pvalhwts_priv_of(d)->name)); \
}										\
static DEVICE_ATTR_RO(name)

#define PVALHWTS_READ_INT(p)	READ_ONCE(*(p))

PVALHWTS_ATTR_INT(tx_type, PVALHWTS_READ_INT);
PVALHWTS_ATTR_INT(rx_filter, PVALHWTS_READ_INT);
PVALHWTS_ATTR_INT(tx_last_ns, PVALHWTS_READ_INT);
PVALHWTS_ATTR_INT(tx_stamps, atomic_long_read);
PVALHWTS_ATTR_INT(tx_lost, atomic_long_read);
PVALHWTS_ATTR_INT(tx_busy, atomic_long_read);
PVALHWTS_ATTR_INT(rx_stamps, atomic_long_read);

static struct attribute *pvalhwts_attrs[] = {
	&dev_attr_interface.attr,
	&dev_attr_tx_type.attr,
	&dev_attr_rx_filter.attr,
	&dev_attr_tx_last_ns.attr,
	&dev_attr_tx_stamps.attr,
	&dev_attr_tx_lost.attr,
	&dev_attr_tx_busy.attr,
	&dev_attr_rx_stamps.attr,
	NULL
};

static const struct attribute_group pvalhwts_group = {
	.name	= "pvalhwts",
	.attrs	= pvalhwts_attrs,
};

/* Devices. */

static struct rtnl_link_ops pvalhwts_link_ops;

static void pvalhwts_setup(struct net_device *dev)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);

	ether_setup(dev);
	dev->priv_flags &= ~IFF_TX_SKB_SHARING;
	dev->priv_flags |= IFF_NO_QUEUE;
	dev->netdev_ops = &pvalhwts_ops_ioctl;
#if PVALHWTS_HAVE_NDO_HWTSTAMP
	if (!legacy)
		dev->netdev_ops = &pvalhwts_ops_ndo;
#endif
	dev->ethtool_ops = &pvalhwts_ethtool_ops;
	dev->rtnl_link_ops = &pvalhwts_link_ops;
	dev->sysfs_groups[0] = &pvalhwts_group;
	dev->needs_free_netdev = true;
	dev->min_mtu = ETH_MIN_MTU;
	dev->max_mtu = ETH_MAX_MTU;
	eth_hw_addr_random(dev);

	spin_lock_init(&priv->tx_lock);
	INIT_DELAYED_WORK(&priv->tx_work, pvalhwts_tx_work);
}

/* Pairs are made at load only: `ip link add type pvalhwts` is refused. */
static int pvalhwts_validate(struct nlattr *tb[], struct nlattr *data[],
			     struct netlink_ext_ack *extack)
{
	NL_SET_ERR_MSG_MOD(extack, "pvalhwts pairs are created by the module parameter pairs=");
	return -EOPNOTSUPP;
}

/* Deleting either end deletes both, as with veth. */
static void pvalhwts_dellink(struct net_device *dev, struct list_head *head)
{
	struct pvalhwts_priv *priv = netdev_priv(dev);
	struct net_device *peer = rtnl_dereference(priv->peer);

	unregister_netdevice_queue(dev, head);
	if (peer) {
		RCU_INIT_POINTER(priv->peer, NULL);
		RCU_INIT_POINTER(((struct pvalhwts_priv *)netdev_priv(peer))->peer, NULL);
		unregister_netdevice_queue(peer, head);
	}
}

static struct rtnl_link_ops pvalhwts_link_ops = {
	.kind		= "pvalhwts",
	.priv_size	= sizeof(struct pvalhwts_priv),
	.setup		= pvalhwts_setup,
	.validate	= pvalhwts_validate,
	.dellink	= pvalhwts_dellink,
	/* Like a NIC, back to init_net when its namespace goes away. */
	.netns_refund	= true,
};

static int pvalhwts_pair_create(void)
{
	struct net_device *dev[2];
	int i, err;

	for (i = 0; i < 2; i++) {
		dev[i] = alloc_netdev(sizeof(struct pvalhwts_priv), "hwts%d", NET_NAME_ENUM,
				      pvalhwts_setup);
		if (!dev[i]) {
			err = -ENOMEM;
			goto out_free;
		}
	}
	rcu_assign_pointer(((struct pvalhwts_priv *)netdev_priv(dev[0]))->peer, dev[1]);
	rcu_assign_pointer(((struct pvalhwts_priv *)netdev_priv(dev[1]))->peer, dev[0]);

	rtnl_lock();
	err = register_netdevice(dev[0]);
	if (err) {
		rtnl_unlock();
		goto out_free;
	}
	netif_carrier_off(dev[0]);
	err = register_netdevice(dev[1]);
	if (err) {
		/* needs_free_netdev: unregistering dev[0] frees it. */
		RCU_INIT_POINTER(((struct pvalhwts_priv *)netdev_priv(dev[0]))->peer, NULL);
		unregister_netdevice(dev[0]);
		rtnl_unlock();
		free_netdev(dev[1]);
		return err;
	}
	netif_carrier_off(dev[1]);
	rtnl_unlock();
	return 0;

out_free:
	while (i--)
		free_netdev(dev[i]);
	return err;
}

static int __init pvalhwts_init(void)
{
	unsigned int i;
	int err;

	err = rtnl_link_register(&pvalhwts_link_ops);
	if (err)
		return err;
	for (i = 0; i < pairs; i++) {
		err = pvalhwts_pair_create();
		if (err) {
			/* Deletes the pairs made so far. */
			rtnl_link_unregister(&pvalhwts_link_ops);
			return err;
		}
	}
	return 0;
}

static void __exit pvalhwts_exit(void)
{
	rtnl_link_unregister(&pvalhwts_link_ops);
}

module_init(pvalhwts_init);
module_exit(pvalhwts_exit);

MODULE_LICENSE("GPL");
MODULE_DESCRIPTION("Ethernet device pairs with emulated hardware timestamps, for pval's tests");
MODULE_ALIAS_RTNL_LINK("pvalhwts");
