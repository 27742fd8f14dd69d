/* SPDX-License-Identifier: GPL-2.0 */
/*
 * pval: the kernel API differences between the kernels pval.ko is built
 * for (6.1, 6.12 and 7.x, see README.md), in one place.  The sources use
 * the newest API; for older kernels this header defines it from what they
 * have, or says which interface they lack (PVAL_HAVE_*).
 */
#ifndef _PVAL_COMPAT_H
#define _PVAL_COMPAT_H

#include <linux/device.h>
#include <linux/ethtool.h>
#include <linux/netdevice.h>
#include <linux/timer.h>
#include <linux/uio.h>
#include <linux/version.h>
#include <linux/workqueue.h>
#include <net/rtnetlink.h>

/* 6.5: skb_gso_segment() and friends moved to <net/gso.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 5, 0)
#include <net/gso.h>
#endif

/* 6.15: netdev_lockdep_set_classes() moved to <net/netdev_lock.h>. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#include <net/netdev_lock.h>
#endif

/* 6.16: from_timer() became timer_container_of(), the old name went. */
#ifndef timer_container_of
#define timer_container_of(var, callback_timer, timer_fieldname) \
	from_timer(var, callback_timer, timer_fieldname)
#endif

/*
 * 6.17: WQ_PERCPU names what a workqueue without WQ_UNBOUND was; from 6.18
 * the kernel warns about a workqueue that has neither.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 17, 0)
#define WQ_PERCPU 0
#endif

/* 6.4: iter_iov_addr(), the start of the iterator's current segment. */
#if LINUX_VERSION_CODE < KERNEL_VERSION(6, 4, 0)
static inline void __user *iter_iov_addr(const struct iov_iter *i)
{
	if (iter_is_ubuf(i))
		return i->ubuf + i->iov_offset;
	return i->iov->iov_base + i->iov_offset;
}
#endif

/* 6.2: class devnode callbacks take a const struct device. */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 2, 0)
typedef const struct device pval_devnode_device_t;
#else
typedef struct device pval_devnode_device_t;
#endif

/* 6.12: lockless xmit is dev->lltx, no longer the feature NETIF_F_LLTX. */
static inline void pval_set_lltx(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 12, 0)
	dev->lltx = true;
#else
	dev->features |= NETIF_F_LLTX;
#endif
}

/*
 * 6.6: ndo_hwtstamp_get/set and generic_hwtstamp_{get,set}_lower(); older
 * drivers only have SIOC[GS]HWTSTAMP through ndo_eth_ioctl.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 6, 0)
#define PVAL_HAVE_NDO_HWTSTAMP 1
#endif

/*
 * 7.0: the core stopped handing SIOC[GS]HWTSTAMP to ndo_eth_ioctl; a driver
 * without ndo_hwtstamp_set has no hardware timestamp configuration.
 */
#if LINUX_VERSION_CODE < KERNEL_VERSION(7, 0, 0)
#define PVAL_HAVE_HWTSTAMP_IOCTL 1
#endif

/*
 * 6.11: ethtool_get_ts_info_by_layer() and struct kernel_ethtool_ts_info.
 * The SOF_TIMESTAMPING_* flags of the device, 0 when it has none.
 */
static inline u32 pval_ts_info_caps(struct net_device *dev)
{
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 11, 0)
	struct kernel_ethtool_ts_info info = { .phc_index = -1 };

	if (ethtool_get_ts_info_by_layer(dev, &info))
		return 0;
#else
	const struct ethtool_ops *ops = dev->ethtool_ops;
	struct ethtool_ts_info info = { .cmd = ETHTOOL_GET_TS_INFO, .phc_index = -1 };

	if (!ops || !ops->get_ts_info || ops->get_ts_info(dev, &info))
		return 0;
#endif
	return info.so_timestamping;
}

/*
 * 6.15: rtnl_link_ops.newlink takes its namespaces and attributes in a
 * struct rtnl_newlink_params.  PVAL_DEFINE_NEWLINK(name, impl) defines
 * name() with the kernel's prototype, calling
 *   int impl(struct net *link_net, struct net_device *dev,
 *            struct nlattr *tb[], struct nlattr *data[],
 *            struct netlink_ext_ack *extack);
 * link_net is the namespace IFLA_LINK is looked up in (IFLA_LINK_NETNSID's,
 * else the requester's), which the older kernels pass as src_net.
 */
#if LINUX_VERSION_CODE >= KERNEL_VERSION(6, 15, 0)
#define PVAL_DEFINE_NEWLINK(name, impl)						\
static int name(struct net_device *dev, struct rtnl_newlink_params *params,	\
		struct netlink_ext_ack *extack)					\
{										\
	return impl(rtnl_newlink_link_net(params), dev, params->tb,		\
		    params->data, extack);					\
}
#else
#define PVAL_DEFINE_NEWLINK(name, impl)						\
static int name(struct net *src_net, struct net_device *dev,			\
		struct nlattr *tb[], struct nlattr *data[],			\
		struct netlink_ext_ack *extack)					\
{										\
	return impl(src_net, dev, tb, data, extack);				\
}
#endif

#endif /* _PVAL_COMPAT_H */
