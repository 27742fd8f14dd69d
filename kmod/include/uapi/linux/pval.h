/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * pval: packet interval measurement link.
 *
 * The user-space ABI of pval.ko: the IPv4 option it inserts, the slot layout
 * of its character devices, its rtnetlink attributes and its device names.
 *
 * This header is the single source of these facts.  The TypeScript packages
 * generate their constants from it (scripts/abi/gen.mjs) and a C compiler
 * checks every size and offset.  Numbers here are ABI: never renumber, only
 * append.
 */
#ifndef _UAPI_LINUX_PVAL_H
#define _UAPI_LINUX_PVAL_H

#include <linux/types.h>
#include <linux/ioctl.h>

/*
 * Version of this ABI, reported by pval.ko (IFLA_PVAL_ABI_VERSION, and the
 * read-only module parameter /sys/module/pval/parameters/abi_version).
 * User space refuses a module that speaks another version.
 *
 *   1  readv(2) of an empty ring sleeps (EAGAIN with O_NONBLOCK); a slot
 *      starts with __u32 len.  A module without abi_version speaks 1.
 *   2  readv(2) of an empty ring returns 0 at once; a slot starts with
 *      __u16 len and __u16 gso_segs (0 for an ordinary packet, so such a
 *      slot reads the same as in version 1 on a little-endian machine).
 */
#define PVAL_ABI_VERSION	2

/* rtnetlink link kind (IFLA_INFO_KIND) and default interface name pattern. */
#define PVAL_KIND		"pval"
#define PVAL_IFNAME_PATTERN	"pval%d"

/*
 * The IPv4 option.
 *
 * Type 222 (0xde): copy flag 1, class 2, number 30, the value RFC 4727
 * reserves for experiments.  It is placed right after the fixed 20-byte IPv4
 * header.  Multi-byte fields are little-endian on the wire, whatever the
 * host byte order.
 */
#define PVAL_IPOPT_TYPE		0xde
#define PVAL_IPOPT_LEN		12

struct pval_ipopt {
	__u8	type;		/* PVAL_IPOPT_TYPE */
	__u8	len;		/* PVAL_IPOPT_LEN */
	__u8	reserved;	/* 0 */
	__u8	cpu;		/* CPU that transmitted the packet */
	__le64	seq;		/* per-CPU transmit sequence number */
} __attribute__((packed));

/*
 * Packet copies.
 *
 * Each character device is backed by a ring of slots.  readv(2) with one
 * slot-sized iovec per slot fills up to that many slots and returns the
 * number of slots read, 0 when the ring is empty: it never sleeps, with or
 * without O_NONBLOCK.  poll(2) is how a reader waits: POLLIN when the ring
 * holds slots.  Once the link is deleted, poll(2) reports POLLERR | POLLHUP
 * and readv(2) returns the slots left, then fails with ENODEV.  Fields are
 * in the native byte order of the machine.
 */
#define PVAL_SLOT_PKT_SIZE	256	/* bytes of each frame kept in a slot */
#define PVAL_RING_SLOTS_DEFAULT	1024	/* slots per ring unless configured */
#define PVAL_RING_SLOTS_MIN	2
#define PVAL_RING_SLOTS_MAX	65536

struct pval_slot {
	__u16	len;		/* bytes of the frame stored in pkt, <= PVAL_SLOT_PKT_SIZE */
	__u16	gso_segs;	/* wire packets this one stands for when the lower
				 * device merged them (GRO) or received them
				 * unsegmented (GSO); 0 for an ordinary packet */
	__u32	pktlen;		/* full length of the frame, L2 header included */
	__u64	tstamp;		/* timestamp in ns, 0 when none */
	__u8	pkt[PVAL_SLOT_PKT_SIZE]; /* the frame, from its Ethernet header */
} __attribute__((packed));

/*
 * Device names, relative to /dev: one TX and one RX device per pval link
 * and CPU, e.g. /dev/pval/pval0-rx-cpu-0.  Arguments: interface name, CPU.
 */
#define PVAL_DEV_DIR		"pval"
#define PVAL_DEV_TX_FMT		"pval/%s-tx-cpu-%u"
#define PVAL_DEV_RX_FMT		"pval/%s-rx-cpu-%u"

/* Counters of one ring, read with PVAL_IOC_RING_STATS on an open device. */
struct pval_ring_stats {
	__u64	copied;		/* slots written into the ring */
	__u64	dropped_full;	/* copies lost because the ring was full */
	__u64	dropped_nomem;	/* copies lost for lack of memory */
	__u64	read;		/* slots handed to readers */
} __attribute__((packed));

#define PVAL_IOC_MAGIC		0xde
#define PVAL_IOC_RING_STATS	_IOR(PVAL_IOC_MAGIC, 1, struct pval_ring_stats)

/*
 * Wakeup threshold of one open device, in slots.  A reader sleeping in
 * poll(2) is woken as soon as the ring holds this many slots, and otherwise
 * at most the module's wake_usecs after the first copy.  0 stands for the
 * module's wake_batch parameter, and is what every open starts with; values
 * above half the ring count as half the ring.  A reader that needs its
 * wakeups early (a small ring, a high packet rate, a slow scheduler) asks
 * for a lower threshold than the module's, for its own file only.
 * PVAL_IOC_GET_WAKE_SLOTS reads back the threshold in effect (1 when the
 * module wakes on every copy, wake_usecs=0).
 */
#define PVAL_IOC_SET_WAKE_SLOTS	_IOW(PVAL_IOC_MAGIC, 2, __u32)
#define PVAL_IOC_GET_WAKE_SLOTS	_IOR(PVAL_IOC_MAGIC, 3, __u32)

/* rtnetlink attributes, nested in IFLA_INFO_DATA. */
enum {
	IFLA_PVAL_UNSPEC,
	IFLA_PVAL_LINK,		/* u32: ifindex of the lower link, creation only */
	IFLA_PVAL_IPOPT,	/* u8 0/1: insert the option into IPv4 packets */
	IFLA_PVAL_TXTSTAMP,	/* u8 0/1: hardware TX timestamps */
	IFLA_PVAL_RXTSTAMP,	/* u8 0/1: hardware RX timestamps */
	IFLA_PVAL_TXCOPY,	/* u8 0/1: copy sent packets to the TX devices */
	IFLA_PVAL_RXCOPY,	/* u8 0/1: copy received packets to the RX devices */
	IFLA_PVAL_TXBUSYDROP,	/* u8 0/1: drop (1) or send unstamped (0) when
				 * the TX timestamp unit is busy */
	IFLA_PVAL_SWTSTAMP,	/* u8 0/1: software timestamps (CLOCK_REALTIME ns) */
	IFLA_PVAL_RING_SLOTS,	/* u32: slots per ring, power of two, creation only */
	IFLA_PVAL_PAD,
	IFLA_PVAL_STATS,	/* nested IFLA_PVAL_STATS_*, reported only */
	IFLA_PVAL_ABI_VERSION,	/* u32: PVAL_ABI_VERSION of the module, reported only */
	__IFLA_PVAL_MAX,
};

#define IFLA_PVAL_MAX (__IFLA_PVAL_MAX - 1)

/* Link-wide counters, nested in IFLA_PVAL_STATS, all u64. */
enum {
	IFLA_PVAL_STATS_UNSPEC,
	IFLA_PVAL_STATS_PAD,
	IFLA_PVAL_STATS_IPOPT_INSERTED,	/* packets that got the option */
	IFLA_PVAL_STATS_IPOPT_SKIPPED,	/* IPv4 packets sent without it: no room
					 * (IHL would pass 15, or 64 KiB) */
	IFLA_PVAL_STATS_TX_COPY_DROPS,	/* TX copies lost, all rings */
	IFLA_PVAL_STATS_RX_COPY_DROPS,	/* RX copies lost, all rings */
	IFLA_PVAL_STATS_TXTSTAMP_BUSY,	/* TX packets that met a busy timestamp unit */
	IFLA_PVAL_STATS_IPOPT_SKIPPED_CPU,	/* sent without it: the CPU number
						 * does not fit the option's u8 */
	IFLA_PVAL_STATS_IPOPT_SKIPPED_BAD,	/* sent without it: IPv4 header (or
						 * VLAN tags before it) truncated,
						 * inconsistent or too deep */
	IFLA_PVAL_STATS_RX_TSTAMP_FALLBACK, /* RX copies (swtstamp) stamped from
					     * the clock: the stack gave none */
	__IFLA_PVAL_STATS_MAX,
};

#define IFLA_PVAL_STATS_MAX (__IFLA_PVAL_STATS_MAX - 1)

#endif /* _UAPI_LINUX_PVAL_H */
