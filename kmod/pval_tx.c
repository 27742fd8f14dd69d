// SPDX-License-Identifier: GPL-2.0
/*
 * pval: transmit path.  With ipopt on, every IPv4 packet gets the pval
 * option (CPU, per-CPU sequence number) right after its fixed header; then
 * the frame, copied to the TX ring when txcopy is on, leaves through the
 * lower device.
 */
#include <linux/etherdevice.h>
#include <linux/if_vlan.h>
#include <linux/ip.h>
#include <linux/netdevice.h>
#include <linux/skbuff.h>
#include <net/ip.h>

#include "pval.h"
#include "pval_ring.h"

/* The option is a multiple of 4 bytes, so IHL grows by whole words. */
static_assert(PVAL_IPOPT_LEN % 4 == 0);
static_assert(sizeof(struct pval_ipopt) == PVAL_IPOPT_LEN);

#define PVAL_IPOPT_WORDS	(PVAL_IPOPT_LEN / 4)
#define PVAL_IHL_MAX		15

/*
 * Move the Ethernet and fixed IPv4 headers (34 bytes) PVAL_IPOPT_LEN bytes
 * down, over the gap that skb_push() opened: four 8-byte words and a
 * 2-byte one, in ascending order, which is safe because each word lands
 * below the bytes not yet read.  memmove() would do it with rep movsb on
 * CPUs with ERMS, which emulators (QEMU TCG) execute byte by byte.  Frames
 * with VLAN tags in the packet, less common, take memmove().
 */
static_assert(ETH_HLEN + sizeof(struct iphdr) == 4 * 8 + 2);
static_assert(PVAL_IPOPT_LEN >= 8);

static __always_inline void pval_tx_move_headers(u8 *dst, unsigned int iph_off)
{
	const u8 *src = dst + PVAL_IPOPT_LEN;
	int i;

	if (unlikely(iph_off != ETH_HLEN)) {
		memmove(dst, src, iph_off + sizeof(struct iphdr));
		return;
	}
	for (i = 0; i < 32; i += 8)
		put_unaligned(get_unaligned((const u64 *)(src + i)), (u64 *)(dst + i));
	put_unaligned(get_unaligned((const u16 *)(src + 32)), (u16 *)(dst + 32));
}

/*
 * The header checksum after the insertion, updated from the old one (RFC
 * 1624, eqn. 3: HC' = ~(~HC + ~m + m')): only the first 16-bit word (IHL),
 * tot_len and the option's six words changed.  Sums of the raw 16-bit
 * words, which is right in either byte order.
 */
static void pval_tx_csum_update(struct iphdr *iph, u16 old_w0, u16 old_tot)
{
	const u16 *w = (const u16 *)iph;
	u32 sum;
	int i;

	sum = (u16)~(__force u16)iph->check;
	sum += (u16)~old_w0 + get_unaligned(w);
	sum += (u16)~old_tot + (__force u16)iph->tot_len;
	for (i = 0; i < PVAL_IPOPT_LEN / 2; i++)
		sum += get_unaligned(w + sizeof(*iph) / 2 + i);
	sum = (sum & 0xffff) + (sum >> 16);
	sum = (sum & 0xffff) + (sum >> 16);
	iph->check = (__force __sum16)(u16)~sum;
}

static void pval_tx_count(struct pval_pcpu *pc, u64_stats_t *counter)
{
	u64_stats_update_begin(&pc->syncp);
	u64_stats_inc(counter);
	u64_stats_update_end(&pc->syncp);
}

/* VLAN tags in the packet (802.1Q, 802.1ad) before an IPv4 header. */
#define PVAL_VLAN_DEPTH_MAX	4

/*
 * Offset of the IPv4 header of the frame at skb->data, past the Ethernet
 * header and any VLAN tags in the packet (a VLAN device on top of the pval
 * device puts them there: the pval device offers no VLAN offload), or 0
 * when the frame carries no IPv4 packet.  Tags that are cut short or
 * stacked deeper than PVAL_VLAN_DEPTH_MAX count in ipopt_skipped_bad.
 */
static unsigned int pval_tx_iph_offset(struct pval_dev *pval, struct sk_buff *skb)
{
	__be16 proto = eth_hdr(skb)->h_proto;
	unsigned int off = ETH_HLEN;
	int depth;

	for (depth = 0; eth_type_vlan(proto); depth++) {
		if (depth == PVAL_VLAN_DEPTH_MAX || !pskb_may_pull(skb, off + VLAN_HLEN)) {
			struct pval_pcpu *pc = this_cpu_ptr(pval->pcpu);

			pval_tx_count(pc, &pc->ipopt_skipped_bad);
			return 0;
		}
		proto = ((const struct vlan_hdr *)(skb->data + off))->h_vlan_encapsulated_proto;
		off += VLAN_HLEN;
	}
	return proto == htons(ETH_P_IP) ? off : 0;
}

/*
 * Insert the option into the IPv4 packet of an Ethernet frame (skb->data at
 * the Ethernet header, the IPv4 header at @iph_off).  Runs with bottom
 * halves disabled, so this CPU's sequence counter has no other writer.
 *
 * Returns 0 when the packet carries the option or was left alone on
 * purpose (counted by reason: ipopt_skipped, _cpu, _bad), a negative errno
 * when the skb could not be made writable (the caller drops it).
 */
static int pval_tx_insert_ipopt(struct pval_dev *pval, struct sk_buff *skb,
				unsigned int iph_off)
{
	struct pval_pcpu *pc = this_cpu_ptr(pval->pcpu);
	unsigned int cpu = smp_processor_id();
	struct pval_ipopt *opt;
	struct iphdr *iph;
	unsigned int tot;
	u16 old_w0;
	u64 seq;

	if (!pskb_may_pull(skb, iph_off + sizeof(struct iphdr))) {
		pval_tx_count(pc, &pc->ipopt_skipped_bad);
		return 0;
	}
	iph = (struct iphdr *)(skb->data + iph_off);
	tot = ntohs(iph->tot_len);
	if (iph->version != 4 || iph->ihl < 5 ||
	    tot < iph->ihl * 4 || tot > skb->len - iph_off) {
		pval_tx_count(pc, &pc->ipopt_skipped_bad);
		return 0;
	}
	/* No room in the header or in the length field. */
	if (iph->ihl + PVAL_IPOPT_WORDS > PVAL_IHL_MAX ||
	    tot + PVAL_IPOPT_LEN > IP_MAX_MTU) {
		pval_tx_count(pc, &pc->ipopt_skipped);
		return 0;
	}
	/* The option's cpu field is a u8. */
	if (cpu > U8_MAX) {
		pval_tx_count(pc, &pc->ipopt_skipped_cpu);
		return 0;
	}

	if (skb_cow_head(skb, PVAL_IPOPT_LEN))
		return -ENOMEM;

	pval_tx_move_headers(__skb_push(skb, PVAL_IPOPT_LEN), iph_off);
	skb_reset_mac_header(skb);
	skb_set_network_header(skb, iph_off);
	iph = ip_hdr(skb);

	u64_stats_update_begin(&pc->syncp);
	seq = u64_stats_read(&pc->seq);
	u64_stats_set(&pc->seq, seq + 1);
	u64_stats_inc(&pc->ipopt_inserted);
	u64_stats_update_end(&pc->syncp);

	opt = (struct pval_ipopt *)(iph + 1);
	opt->type = PVAL_IPOPT_TYPE;
	opt->len = PVAL_IPOPT_LEN;
	opt->reserved = 0;
	opt->cpu = cpu;
	put_unaligned_le64(seq, &opt->seq);

	old_w0 = get_unaligned((const u16 *)iph);
	iph->ihl += PVAL_IPOPT_WORDS;
	iph->tot_len = htons(tot + PVAL_IPOPT_LEN);
	pval_tx_csum_update(iph, old_w0, (__force u16)htons(tot));
	return 0;
}

static void pval_tx_count_busy(struct pval_dev *pval)
{
	struct pval_pcpu *pc = this_cpu_ptr(pval->pcpu);

	pval_tx_count(pc, &pc->txtstamp_busy);
}

static netdev_tx_t pval_tx_one(struct pval_dev *pval, struct sk_buff *skb)
{
	struct net_device *dev = pval->dev;
	bool txcopy = READ_ONCE(pval->cfg.txcopy);
	unsigned int len, iph_off;
	bool stamp = false;
	int ret;

	/*
	 * With txtstamp, the timestamp unit is reserved before the option
	 * numbers the packet: a packet dropped because the unit is busy
	 * (txbusydrop) takes no sequence number, so a local drop never looks
	 * like a loss to the receiver.  It is counted in txtstamp_busy.
	 */
	if (READ_ONCE(pval->cfg.txtstamp)) {
		ret = pval_tstamp_tx_claim(&pval->ts);
		if (ret == -EBUSY) {
			pval_tx_count_busy(pval);
			if (READ_ONCE(pval->cfg.txbusydrop))
				goto drop;
		}
		stamp = !ret;
	}

	skb_reset_mac_header(skb);
	if (READ_ONCE(pval->cfg.ipopt) && skb_headlen(skb) >= ETH_HLEN) {
		iph_off = pval_tx_iph_offset(pval, skb);
		if (iph_off && unlikely(pval_tx_insert_ipopt(pval, skb, iph_off))) {
			if (stamp)
				pval_tstamp_tx_unclaim(&pval->ts);
			goto drop;
		}
	}

	/*
	 * With a hardware TX timestamp requested, pval_tstamp.c delivers the
	 * TX copy once the timestamp arrives; otherwise the copy is taken
	 * here, with a software timestamp (swtstamp) or 0.
	 */
	if (stamp && !pval_tstamp_tx(&pval->ts, &skb, txcopy ? pval->rings : NULL))
		txcopy = false;
	if (txcopy)
		pval_rings_copy(pval->rings, PVAL_DIR_TX, skb, 0,
				READ_ONCE(pval->cfg.swtstamp));

	len = skb->len;
	skb->dev = pval->lower;
	ret = dev_queue_xmit(skb);
	if (likely(ret == NET_XMIT_SUCCESS || ret == NET_XMIT_CN))
		dev_sw_netstats_tx_add(dev, 1, len);
	else
		dev_core_stats_tx_dropped_inc(dev);
	return ret;

drop:
	dev_core_stats_tx_dropped_inc(dev);
	kfree_skb(skb);
	return NET_XMIT_DROP;
}

/*
 * ndo_start_xmit.  The device announces no GSO feature, so the core
 * segments GSO packets before they get here: each segment needs its own
 * sequence number.  A GSO skb that reaches us anyway is segmented here.
 */
netdev_tx_t pval_tx_xmit(struct sk_buff *skb, struct net_device *dev)
{
	struct pval_dev *pval = netdev_priv(dev);
	struct sk_buff *segs, *next;

	if (likely(!skb_is_gso(skb))) {
		pval_tx_one(pval, skb);
		return NETDEV_TX_OK;
	}

	segs = skb_gso_segment(skb, dev->features & ~NETIF_F_GSO_MASK);
	if (IS_ERR_OR_NULL(segs)) {
		dev_core_stats_tx_dropped_inc(dev);
		kfree_skb(skb);
		return NETDEV_TX_OK;
	}
	consume_skb(skb);
	skb_list_walk_safe(segs, skb, next) {
		skb_mark_not_on_list(skb);
		pval_tx_one(pval, skb);
	}
	return NETDEV_TX_OK;
}

void pval_tx_totals(const struct pval_dev *pval, struct pval_totals *t)
{
	int cpu;

	memset(t, 0, sizeof(*t));
	for_each_possible_cpu(cpu) {
		const struct pval_pcpu *pc = per_cpu_ptr(pval->pcpu, cpu);
		u64 inserted, skipped, busy, skipped_cpu, skipped_bad, fallback;
		unsigned int start;

		do {
			start = u64_stats_fetch_begin(&pc->syncp);
			inserted = u64_stats_read(&pc->ipopt_inserted);
			skipped = u64_stats_read(&pc->ipopt_skipped);
			busy = u64_stats_read(&pc->txtstamp_busy);
			skipped_cpu = u64_stats_read(&pc->ipopt_skipped_cpu);
			skipped_bad = u64_stats_read(&pc->ipopt_skipped_bad);
			fallback = u64_stats_read(&pc->rx_tstamp_fallback);
		} while (u64_stats_fetch_retry(&pc->syncp, start));
		t->ipopt_inserted += inserted;
		t->ipopt_skipped += skipped;
		t->txtstamp_busy += busy;
		t->ipopt_skipped_cpu += skipped_cpu;
		t->ipopt_skipped_bad += skipped_bad;
		t->rx_tstamp_fallback += fallback;
	}
}
