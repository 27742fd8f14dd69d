// SPDX-License-Identifier: GPL-2.0
/*
 * pval: receive path.  Every frame that arrives on the lower device is
 * handed to the pval device, like a bridge port or a macvlan in passthru
 * mode: IPv4, IPv6, ARP and anything else.
 */
#include <linux/etherdevice.h>
#include <linux/icmp.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/checksum.h>
#include <net/ip.h>

#include "pval.h"
#include "pval_ring.h"

/*
 * The timestamp of an RX copy: the lower device's hardware stamp (rxtstamp);
 * otherwise, with swtstamp, the stack's receive timestamp, taken when the
 * frame entered the stack (netif_rx() or netif_receive_skb(), before taps
 * such as tcpdump and this handler), which pval keeps enabled while a link
 * has swtstamp on (pval_main.c).  skb_tstamp() is 0 when skb->tstamp holds a
 * delivery time on another clock (CLOCK_MONOTONIC or CLOCK_TAI, set by a
 * sender in this host and kept across veth) instead of a receive time: then
 * the copy falls back to the clock (pval_rings_copy()), and that is counted.
 */
static void pval_rx_copy(struct pval_dev *pval, struct sk_buff *skb)
{
	bool swtstamp = READ_ONCE(pval->cfg.swtstamp);
	bool fallback = false;
	u64 tstamp = 0;

	if (READ_ONCE(pval->cfg.rxtstamp))
		tstamp = ktime_to_ns(skb_hwtstamps(skb)->hwtstamp);
	if (!tstamp && swtstamp) {
		tstamp = ktime_to_ns(skb_tstamp(skb));
		fallback = !tstamp;
	}
	if (pval_rings_copy(pval->rings, PVAL_DIR_RX, skb, tstamp, swtstamp) &&
	    unlikely(fallback)) {
		struct pval_pcpu *pc = this_cpu_ptr(pval->pcpu);

		u64_stats_update_begin(&pc->syncp);
		u64_stats_inc(&pc->rx_tstamp_fallback);
		u64_stats_update_end(&pc->syncp);
	}
}

/*
 * Path MTU discovery through the option.  The stack sizes a packet to the
 * path MTU, then pval_tx.c adds PVAL_IPOPT_LEN bytes.  When a hop with an
 * MTU M below the lower device's answers "fragmentation needed, MTU M",
 * the host would size its packets to M, pval would make them M + 12 and
 * the hop would drop them again, forever.  Like a tunnel, which reports
 * its own overhead, an ICMP "fragmentation needed" that quotes a packet
 * carrying the option is rewritten to announce M - 12 before the stack
 * sees it, so the next packets fit once they carry the option.
 *
 * skb->data is at the IPv4 header.  A frame that is not such a message,
 * or that cannot be made writable, is left as it is.
 */
static void pval_rx_fix_frag_needed(struct sk_buff *skb)
{
	const struct pval_ipopt *opt;
	const struct iphdr *inner;
	const struct iphdr *iph;
	struct icmphdr *icmph;
	unsigned int off;
	u16 mtu;

	if (!pskb_may_pull(skb, sizeof(*iph)))
		return;
	iph = (const struct iphdr *)skb->data;
	if (iph->protocol != IPPROTO_ICMP || iph->version != 4 || iph->ihl < 5 ||
	    ip_is_fragment(iph))
		return;
	off = iph->ihl * 4;
	/* ICMP header, the quoted IPv4 header and the option that follows it. */
	if (!pskb_may_pull(skb, off + sizeof(*icmph) + sizeof(*inner) + PVAL_IPOPT_LEN))
		return;
	icmph = (struct icmphdr *)(skb->data + off);
	if (icmph->type != ICMP_DEST_UNREACH || icmph->code != ICMP_FRAG_NEEDED)
		return;
	inner = (const struct iphdr *)(icmph + 1);
	opt = (const struct pval_ipopt *)(inner + 1);
	if (inner->version != 4 || inner->ihl < 5 + PVAL_IPOPT_LEN / 4 ||
	    opt->type != PVAL_IPOPT_TYPE || opt->len != PVAL_IPOPT_LEN)
		return;
	mtu = ntohs(icmph->un.frag.mtu);
	/* 0: a router from before RFC 1191; the stack guesses on its own. */
	if (mtu <= PVAL_IPOPT_LEN)
		return;
	if (skb_ensure_writable(skb, off + sizeof(*icmph)))
		return;
	icmph = (struct icmphdr *)(skb->data + off);
	/*
	 * The checksum moves with the field, so the sum over the ICMP message,
	 * and with it a CHECKSUM_COMPLETE skb->csum, stays the same.
	 */
	csum_replace2(&icmph->checksum, icmph->un.frag.mtu, htons(mtu - PVAL_IPOPT_LEN));
	icmph->un.frag.mtu = htons(mtu - PVAL_IPOPT_LEN);
}

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
		pval_rx_copy(pval, skb);

	/* After the copy, which keeps the frame as it came. */
	if (skb->protocol == htons(ETH_P_IP))
		pval_rx_fix_frag_needed(skb);

	len = skb->len + ETH_HLEN;
	skb->dev = dev;
	dev_sw_netstats_rx_add(dev, len);

	return RX_HANDLER_ANOTHER;
}
