// SPDX-License-Identifier: GPL-2.0
/*
 * pval: receive path.  Every frame that arrives on the lower device is
 * handed to the pval device, like a bridge port or a macvlan in passthru
 * mode: IPv4, IPv6, ARP and anything else.
 */
#include <linux/etherdevice.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>

#include "pval.h"
#include "pval_ring.h"

/*
 * Runs in softirq under rcu_read_lock (__netif_receive_skb_core).  skb->data
 * points at the network header here; the MAC header is set, so a copy can
 * start at skb_mac_header().
 */
rx_handler_result_t pval_rx_handle_frame(struct sk_buff **pskb)
{
	struct sk_buff *skb = *pskb;
	struct pval_dev *pval;
	struct net_device *dev;
	unsigned int len;

	if (unlikely(skb->pkt_type == PACKET_LOOPBACK))
		return RX_HANDLER_PASS;

	pval = pval_port_get_rcu(skb->dev);
	dev = pval->dev;

	skb = skb_share_check(skb, GFP_ATOMIC);
	if (unlikely(!skb)) {
		dev_core_stats_rx_dropped_inc(dev);
		return RX_HANDLER_CONSUMED;
	}
	*pskb = skb;

	if (unlikely(!(dev->flags & IFF_UP))) {
		dev_core_stats_rx_dropped_inc(dev);
		kfree_skb(skb);
		return RX_HANDLER_CONSUMED;
	}

	/*
	 * The lower device classified the frame against its own address; the
	 * pval device may have another one (ip link set pval0 address ...).
	 */
	if (skb->pkt_type == PACKET_OTHERHOST &&
	    ether_addr_equal_64bits(eth_hdr(skb)->h_dest, dev->dev_addr))
		skb->pkt_type = PACKET_HOST;

	if (READ_ONCE(pval->cfg.rxcopy))
		pval_rings_copy(pval->rings, PVAL_DIR_RX, skb,
				READ_ONCE(pval->cfg.rxtstamp) ?
				ktime_to_ns(skb_hwtstamps(skb)->hwtstamp) : 0,
				READ_ONCE(pval->cfg.swtstamp));

	len = skb->len + ETH_HLEN;
	skb->dev = dev;
	dev_sw_netstats_rx_add(dev, len);

	return RX_HANDLER_ANOTHER;
}
