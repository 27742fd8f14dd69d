// SPDX-License-Identifier: GPL-2.0
/*
 * nl-pval: a raw rtnetlink client for pval links, for the VM suites.
 *
 *   nl-pval add NAME [iflink DEV] [mtu N] link DEV [SWITCH 0|1]... [slots N]
 *                    [linkindex N] [raw TYPE:u8|u32|u64|flag:VALUE]...
 *   nl-pval set NAME [SWITCH 0|1]... [link DEV] [slots N] [raw ...]
 *   nl-pval show NAME
 *   SWITCH: ipopt txtstamp rxtstamp txcopy rxcopy txbusydrop swtstamp
 *
 * "link" sends IFLA_PVAL_LINK, "iflink" sends IFLA_LINK (what iproute2
 * sends), "linkindex" sends a raw IFLA_PVAL_LINK ifindex.  "raw" adds any
 * attribute to IFLA_INFO_DATA as given, to exercise the kernel's policy.
 * A refusal prints the kernel's extack message as "Error: MSG" (like ip)
 * and exits 1; usage errors exit 2.
 *
 * show prints the detail line of the link, then its counters:
 *   pval link veth0 ipopt off txtstamp off rxtstamp off txcopy off rxcopy off txbusydrop on swtstamp off slots 1024
 *   stats ipopt_inserted 0 ipopt_skipped 0 tx_copy_drops 0 rx_copy_drops 0 txtstamp_busy 0
 *         ipopt_skipped_cpu 0 ipopt_skipped_bad 0 rx_tstamp_fallback 0
 */
#include <errno.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <linux/if_link.h>
#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <sys/socket.h>

#include "../../kmod/include/uapi/linux/pval.h"

#ifndef NETLINK_EXT_ACK
#define NETLINK_EXT_ACK 11
#endif

#define BUFSZ 16384

struct req {
	struct nlmsghdr nh;
	struct ifinfomsg ifi;
	char buf[4096];
};

static const char *const switch_names[] = {
	[IFLA_PVAL_IPOPT]	= "ipopt",
	[IFLA_PVAL_TXTSTAMP]	= "txtstamp",
	[IFLA_PVAL_RXTSTAMP]	= "rxtstamp",
	[IFLA_PVAL_TXCOPY]	= "txcopy",
	[IFLA_PVAL_RXCOPY]	= "rxcopy",
	[IFLA_PVAL_TXBUSYDROP]	= "txbusydrop",
	[IFLA_PVAL_SWTSTAMP]	= "swtstamp",
};

static void usage(void)
{
	fprintf(stderr,
		"usage: nl-pval add NAME [iflink DEV] [mtu N] [link DEV] [SWITCH 0|1]... [slots N]\n"
		"                        [linkindex N] [raw TYPE:u8|u32|u64|flag:VALUE]...\n"
		"       nl-pval set NAME [SWITCH 0|1]... [link DEV] [slots N] [raw ...]\n"
		"       nl-pval show NAME\n"
		"SWITCH := ipopt | txtstamp | rxtstamp | txcopy | rxcopy | txbusydrop | swtstamp\n");
	exit(2);
}

static struct rtattr *addattr(struct nlmsghdr *nh, int type, const void *data,
			      int len)
{
	struct rtattr *rta = (struct rtattr *)((char *)nh + NLMSG_ALIGN(nh->nlmsg_len));

	if (NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len) > sizeof(struct req)) {
		fprintf(stderr, "nl-pval: request too long\n");
		exit(2);
	}
	rta->rta_type = type;
	rta->rta_len = RTA_LENGTH(len);
	if (len)
		memcpy(RTA_DATA(rta), data, len);
	nh->nlmsg_len = NLMSG_ALIGN(nh->nlmsg_len) + RTA_SPACE(len);
	return rta;
}

static void nest_end(struct nlmsghdr *nh, struct rtattr *nest)
{
	nest->rta_len = (char *)nh + NLMSG_ALIGN(nh->nlmsg_len) - (char *)nest;
}

static unsigned long num(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = strtoul(s, &end, 0);
	if (errno || *end || end == s || v > max) {
		fprintf(stderr, "nl-pval: invalid %s \"%s\"\n", what, s);
		exit(2);
	}
	return v;
}

static unsigned int ifindex_of(const char *name)
{
	unsigned int i = if_nametoindex(name);

	if (!i) {
		fprintf(stderr, "nl-pval: no device \"%s\"\n", name);
		exit(2);
	}
	return i;
}

static void add_raw(struct nlmsghdr *nh, const char *spec)
{
	char type[16], *s = strdup(spec), *t1, *t2;
	unsigned long at;

	t1 = strchr(s, ':');
	t2 = t1 ? strchr(t1 + 1, ':') : NULL;
	if (!t1 || !t2)
		usage();
	*t1 = *t2 = 0;
	at = num(s, 0x7fff, "attribute type");
	snprintf(type, sizeof(type), "%s", t1 + 1);
	if (!strcmp(type, "u8")) {
		uint8_t v = num(t2 + 1, 0xff, "u8");

		addattr(nh, at, &v, 1);
	} else if (!strcmp(type, "u32")) {
		uint32_t v = num(t2 + 1, 0xffffffffUL, "u32");

		addattr(nh, at, &v, 4);
	} else if (!strcmp(type, "u64")) {
		uint64_t v = strtoull(t2 + 1, NULL, 0);

		addattr(nh, at, &v, 8);
	} else if (!strcmp(type, "flag")) {
		addattr(nh, at, NULL, 0);
	} else {
		usage();
	}
	free(s);
}

static int nl_open(void)
{
	int one = 1;
	int fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);

	if (fd < 0) {
		perror("nl-pval: socket");
		exit(1);
	}
	setsockopt(fd, SOL_NETLINK, NETLINK_EXT_ACK, &one, sizeof(one));
	return fd;
}

/* Print an NLMSG_ERROR like iproute2 does; returns the errno (0 for ACK). */
static int report_error(struct nlmsghdr *nh)
{
	struct nlmsgerr *err = NLMSG_DATA(nh);
	const char *msg = NULL;

	if (!err->error)
		return 0;
	if (nh->nlmsg_flags & NLM_F_ACK_TLVS) {
		unsigned int off = sizeof(*err);
		struct rtattr *rta;
		int len;

		if (!(nh->nlmsg_flags & NLM_F_CAPPED))
			off += err->msg.nlmsg_len - sizeof(struct nlmsghdr);
		rta = (struct rtattr *)((char *)err + NLMSG_ALIGN(off));
		len = nh->nlmsg_len - NLMSG_HDRLEN - NLMSG_ALIGN(off);
		for (; RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
			if (rta->rta_type == NLMSGERR_ATTR_MSG)
				msg = RTA_DATA(rta);
	}
	if (msg)
		fprintf(stderr, "Error: %s (%s).\n", msg, strerror(-err->error));
	else
		fprintf(stderr, "Error: %s.\n", strerror(-err->error));
	return -err->error;
}

static int talk(int fd, struct nlmsghdr *nh, char *reply, size_t size)
{
	struct sockaddr_nl sa = { .nl_family = AF_NETLINK };
	ssize_t n;

	if (sendto(fd, nh, nh->nlmsg_len, 0, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		perror("nl-pval: sendto");
		exit(1);
	}
	n = recv(fd, reply, size, 0);
	if (n < 0) {
		perror("nl-pval: recv");
		exit(1);
	}
	return (int)n;
}

static void parse_settings(struct nlmsghdr *nh, int argc, char **argv, int i,
			   int create)
{
	struct rtattr *linkinfo, *data;
	uint32_t u32;

	linkinfo = addattr(nh, IFLA_LINKINFO, NULL, 0);
	addattr(nh, IFLA_INFO_KIND, PVAL_KIND, strlen(PVAL_KIND));
	data = addattr(nh, IFLA_INFO_DATA, NULL, 0);
	for (; i < argc; i += 2) {
		const char *k = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;
		size_t s;

		if (!v)
			usage();
		for (s = 1; s < sizeof(switch_names) / sizeof(switch_names[0]); s++)
			if (switch_names[s] && !strcmp(k, switch_names[s]))
				break;
		if (s < sizeof(switch_names) / sizeof(switch_names[0])) {
			uint8_t b = num(v, 0xff, k);

			addattr(nh, s, &b, 1);
		} else if (!strcmp(k, "link")) {
			u32 = ifindex_of(v);
			addattr(nh, IFLA_PVAL_LINK, &u32, 4);
		} else if (!strcmp(k, "linkindex")) {
			u32 = num(v, 0xffffffffUL, k);
			addattr(nh, IFLA_PVAL_LINK, &u32, 4);
		} else if (!strcmp(k, "slots")) {
			u32 = num(v, 0xffffffffUL, k);
			addattr(nh, IFLA_PVAL_RING_SLOTS, &u32, 4);
		} else if (!strcmp(k, "raw")) {
			add_raw(nh, v);
		} else if (!strcmp(k, "iflink") || !strcmp(k, "mtu")) {
			/* top-level attributes: close the nests, add, reopen */
			fprintf(stderr, "nl-pval: \"%s\" must come right after the name\n", k);
			exit(2);
		} else {
			usage();
		}
	}
	nest_end(nh, data);
	nest_end(nh, linkinfo);
	(void)create;
}

static int cmd_change(int argc, char **argv, int create)
{
	static char reply[BUFSZ];
	struct req req;
	int fd, i = 3;

	if (argc < 3)
		usage();
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_NEWLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST | NLM_F_ACK;
	if (create)
		req.nh.nlmsg_flags |= NLM_F_CREATE | NLM_F_EXCL;
	req.ifi.ifi_family = AF_UNSPEC;
	addattr(&req.nh, IFLA_IFNAME, argv[2], strlen(argv[2]) + 1);
	/* top-level attributes first: iflink DEV, mtu N */
	while (i + 1 < argc && (!strcmp(argv[i], "iflink") || !strcmp(argv[i], "mtu"))) {
		uint32_t v = !strcmp(argv[i], "mtu") ? num(argv[i + 1], 0xffffffffUL, "mtu")
						       : ifindex_of(argv[i + 1]);

		addattr(&req.nh, !strcmp(argv[i], "mtu") ? IFLA_MTU : IFLA_LINK, &v, 4);
		i += 2;
	}
	parse_settings(&req.nh, argc, argv, i, create);

	fd = nl_open();
	talk(fd, &req.nh, reply, sizeof(reply));
	close(fd);
	if (((struct nlmsghdr *)reply)->nlmsg_type != NLMSG_ERROR) {
		fprintf(stderr, "nl-pval: unexpected reply\n");
		return 1;
	}
	return report_error((struct nlmsghdr *)reply) ? 1 : 0;
}

static uint64_t get_u64(struct rtattr *rta)
{
	uint64_t v;

	memcpy(&v, RTA_DATA(rta), sizeof(v));
	return v;
}

static int cmd_show(int argc, char **argv)
{
	static char reply[BUFSZ];
	static const char *const stat_names[] = {
		[IFLA_PVAL_STATS_IPOPT_INSERTED] = "ipopt_inserted",
		[IFLA_PVAL_STATS_IPOPT_SKIPPED] = "ipopt_skipped",
		[IFLA_PVAL_STATS_TX_COPY_DROPS] = "tx_copy_drops",
		[IFLA_PVAL_STATS_RX_COPY_DROPS] = "rx_copy_drops",
		[IFLA_PVAL_STATS_TXTSTAMP_BUSY] = "txtstamp_busy",
		[IFLA_PVAL_STATS_IPOPT_SKIPPED_CPU] = "ipopt_skipped_cpu",
		[IFLA_PVAL_STATS_IPOPT_SKIPPED_BAD] = "ipopt_skipped_bad",
		[IFLA_PVAL_STATS_RX_TSTAMP_FALLBACK] = "rx_tstamp_fallback",
	};
	/* A counter appended to the ABI header needs its name here. */
	_Static_assert(sizeof(stat_names) / sizeof(stat_names[0]) == IFLA_PVAL_STATS_MAX + 1,
		       "stat_names does not name every IFLA_PVAL_STATS_* counter");
	struct rtattr *tb[IFLA_MAX + 1] = {}, *li[IFLA_INFO_MAX + 1] = {};
	struct rtattr *pv[IFLA_PVAL_MAX + 1] = {}, *st[IFLA_PVAL_STATS_MAX + 1] = {};
	struct nlmsghdr *nh = (struct nlmsghdr *)reply;
	struct rtattr *rta;
	char lname[IF_NAMESIZE] = "";
	struct req req;
	int fd, len, n;
	size_t s;

	if (argc != 3)
		usage();
	memset(&req, 0, sizeof(req));
	req.nh.nlmsg_len = NLMSG_LENGTH(sizeof(struct ifinfomsg));
	req.nh.nlmsg_type = RTM_GETLINK;
	req.nh.nlmsg_flags = NLM_F_REQUEST;
	req.ifi.ifi_family = AF_UNSPEC;
	addattr(&req.nh, IFLA_IFNAME, argv[2], strlen(argv[2]) + 1);

	fd = nl_open();
	n = talk(fd, &req.nh, reply, sizeof(reply));
	close(fd);
	if (nh->nlmsg_type == NLMSG_ERROR)
		return report_error(nh) ? 1 : 0;
	if (nh->nlmsg_type != RTM_NEWLINK || n < (int)NLMSG_LENGTH(sizeof(struct ifinfomsg))) {
		fprintf(stderr, "nl-pval: unexpected reply\n");
		return 1;
	}

	len = nh->nlmsg_len - NLMSG_LENGTH(sizeof(struct ifinfomsg));
	for (rta = IFLA_RTA(NLMSG_DATA(nh)); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if ((rta->rta_type & NLA_TYPE_MASK) <= IFLA_MAX)
			tb[rta->rta_type & NLA_TYPE_MASK] = rta;
	if (!tb[IFLA_LINKINFO]) {
		fprintf(stderr, "nl-pval: %s has no IFLA_LINKINFO\n", argv[2]);
		return 1;
	}
	len = RTA_PAYLOAD(tb[IFLA_LINKINFO]);
	for (rta = RTA_DATA(tb[IFLA_LINKINFO]); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if ((rta->rta_type & NLA_TYPE_MASK) <= IFLA_INFO_MAX)
			li[rta->rta_type & NLA_TYPE_MASK] = rta;
	if (!li[IFLA_INFO_KIND] || strcmp(RTA_DATA(li[IFLA_INFO_KIND]), PVAL_KIND)) {
		fprintf(stderr, "nl-pval: %s is not a pval link\n", argv[2]);
		return 1;
	}
	if (!li[IFLA_INFO_DATA]) {
		fprintf(stderr, "nl-pval: %s has no IFLA_INFO_DATA\n", argv[2]);
		return 1;
	}
	len = RTA_PAYLOAD(li[IFLA_INFO_DATA]);
	for (rta = RTA_DATA(li[IFLA_INFO_DATA]); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if ((rta->rta_type & NLA_TYPE_MASK) <= IFLA_PVAL_MAX)
			pv[rta->rta_type & NLA_TYPE_MASK] = rta;

	if (!pv[IFLA_PVAL_LINK]) {
		fprintf(stderr, "nl-pval: IFLA_PVAL_LINK missing\n");
		return 1;
	}
	if (tb[IFLA_LINK_NETNSID] || !if_indextoname(*(uint32_t *)RTA_DATA(pv[IFLA_PVAL_LINK]), lname))
		snprintf(lname, sizeof(lname), "if%u", *(uint32_t *)RTA_DATA(pv[IFLA_PVAL_LINK]));
	printf("pval link %s", lname);
	for (s = 1; s < sizeof(switch_names) / sizeof(switch_names[0]); s++) {
		if (!switch_names[s])
			continue;
		if (!pv[s] || RTA_PAYLOAD(pv[s]) != 1) {
			fprintf(stderr, "\nnl-pval: %s missing or not a u8\n", switch_names[s]);
			return 1;
		}
		printf(" %s %s", switch_names[s], *(uint8_t *)RTA_DATA(pv[s]) ? "on" : "off");
	}
	if (!pv[IFLA_PVAL_RING_SLOTS]) {
		fprintf(stderr, "\nnl-pval: IFLA_PVAL_RING_SLOTS missing\n");
		return 1;
	}
	printf(" slots %u\n", *(uint32_t *)RTA_DATA(pv[IFLA_PVAL_RING_SLOTS]));

	if (!pv[IFLA_PVAL_STATS]) {
		fprintf(stderr, "nl-pval: IFLA_PVAL_STATS missing\n");
		return 1;
	}
	len = RTA_PAYLOAD(pv[IFLA_PVAL_STATS]);
	for (rta = RTA_DATA(pv[IFLA_PVAL_STATS]); RTA_OK(rta, len); rta = RTA_NEXT(rta, len))
		if ((rta->rta_type & NLA_TYPE_MASK) <= IFLA_PVAL_STATS_MAX)
			st[rta->rta_type & NLA_TYPE_MASK] = rta;
	printf("stats");
	for (s = IFLA_PVAL_STATS_IPOPT_INSERTED; s <= IFLA_PVAL_STATS_MAX; s++) {
		if (!st[s] || RTA_PAYLOAD(st[s]) != 8) {
			fprintf(stderr, "\nnl-pval: stats attribute %zu missing\n", s);
			return 1;
		}
		printf(" %s %llu", stat_names[s], (unsigned long long)get_u64(st[s]));
	}
	printf("\n");
	return 0;
}

int main(int argc, char **argv)
{
	if (argc < 2)
		usage();
	if (!strcmp(argv[1], "add"))
		return cmd_change(argc, argv, 1);
	if (!strcmp(argv[1], "set"))
		return cmd_change(argc, argv, 0);
	if (!strcmp(argv[1], "show"))
		return cmd_show(argc, argv);
	usage();
	return 2;
}
