// SPDX-License-Identifier: GPL-2.0
/*
 * pval-read: reads pval character devices the way SPEC.md section 3
 * describes them, for the VM suites and the flood benchmark.
 *
 *   pval-read [options] DEVICE...
 *
 *   -b N      iovecs per readv (default 64), one slot each
 *   -S BYTES  bytes per iovec (default: one slot); shorter gets truncated slots
 *   -m MODE   readv (default) | read: read() of N slots' bytes in one buffer
 *   -M WAIT   block (default, one device): a blocking fd, poll(2) when a
 *             read returns 0 (readv never sleeps, SPEC.md section 3)
 *             poll | epoll: O_NONBLOCK and poll(2) / epoll(7)
 *             none: read once per device, print the result; O_NONBLOCK
 *             unless -B
 *   -B        open the devices blocking (without O_NONBLOCK) in any mode
 *   -n N      stop after N slots in all
 *   -w MS     stop after MS milliseconds without a slot
 *   -T MS     stop after MS milliseconds in all
 *   -d USEC   sleep USEC after each read (a slow reader)
 *   -u PORT   count the slots of IPv4 UDP datagrams to PORT
 *   -s        print each device's ring counters at the end (PVAL_IOC_RING_STATS),
 *             as the change since this reader opened it
 *   -c        check timestamps: non-zero and never decreasing per device
 *   -v        print one line per slot: DEV TS LEN PKTLEN ETHERTYPE [SRC > DST]
 *   -r        print "ready" once every device is open
 *   -D MS     wait MS milliseconds after opening before the first read
 *   -W SLOTS  ask to be woken when SLOTS slots wait (PVAL_IOC_SET_WAKE_SLOTS;
 *             0: the module's wake_batch) and print "wake DEV N", the
 *             threshold in effect (PVAL_IOC_GET_WAKE_SLOTS)
 *   -G        print "wake DEV N" without setting anything
 *
 * Summary line on stdout at the end:
 *   slots N udp N truncated N reads N tsmin NS tsmax NS tszero N tsback N
 *         gso N gsosegs N
 * (gso: slots that stand for several wire packets, gso_segs > 0; gsosegs:
 * the sum of their gso_segs)
 * and with -s, per device:
 *   stats DEV copied N dropped_full N dropped_nomem N read N
 *
 * Exit: 0 done, 1 error, 2 usage, 3 a device went away (ENODEV or
 * POLLERR), 4 -M none found nothing (readv returned 0; "empty DEV" is
 * printed, with the microseconds the read took).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#include "../../kmod/include/uapi/linux/pval.h"

#define MAX_DEVS	256
#define MAX_BATCH	1024

struct dev {
	const char *path;
	int fd;
	int gone;
	uint64_t slots;
	uint64_t last_ts;
	struct pval_ring_stats st0;	/* counters at open */
};

static struct dev devs[MAX_DEVS];
static int ndevs;

static int batch = 64;
static size_t iov_size = sizeof(struct pval_slot);
static int use_read;
static enum { WAIT_BLOCK, WAIT_POLL, WAIT_EPOLL, WAIT_NONE } wait_mode;
static uint64_t max_slots;
static long idle_ms = -1, total_ms = -1;
static long delay_us, start_delay_ms;
static int udp_port = -1;
static int opt_stats, opt_check, opt_verbose, opt_ready, opt_blocking, opt_wake;
static long wake_slots = -1;

static uint64_t n_slots, n_udp, n_trunc, n_reads, ts_min = UINT64_MAX, ts_max, ts_zero, ts_back;
static uint64_t n_gso, n_gso_segs;
static volatile sig_atomic_t stop;
static unsigned char *buf;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void usage(void)
{
	fprintf(stderr,
		"usage: pval-read [-b N] [-S BYTES] [-m readv|read] [-M block|poll|epoll|none] [-B]\n"
		"                 [-n N] [-w MS] [-T MS] [-d USEC] [-D MS] [-u PORT] [-W SLOTS] [-G] [-s] [-c] [-v] [-r]\n"
		"                 DEVICE...\n");
	exit(2);
}

static long parse_num(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < 0) {
		fprintf(stderr, "pval-read: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static void slot_seen(struct dev *d, const struct pval_slot *slot, size_t bytes)
{
	const unsigned char *p = slot->pkt;
	unsigned int type = 0;
	uint64_t ts;

	n_slots++;
	d->slots++;
	if (bytes < sizeof(*slot)) {
		n_trunc++;
		if (bytes < offsetof(struct pval_slot, pkt))
			return;
	}
	if (slot->gso_segs) {
		n_gso++;
		n_gso_segs += slot->gso_segs;
	}
	ts = slot->tstamp;
	if (!ts)
		ts_zero++;
	else {
		if (ts < ts_min)
			ts_min = ts;
		if (ts > ts_max)
			ts_max = ts;
		if (ts < d->last_ts)
			ts_back++;
		d->last_ts = ts;
	}
	if (slot->len >= 14 && bytes >= offsetof(struct pval_slot, pkt) + 14)
		type = p[12] << 8 | p[13];

	if (udp_port >= 0 && type == 0x0800 && slot->len >= 14 + 20 &&
	    bytes >= offsetof(struct pval_slot, pkt) + 14 + 20) {
		unsigned int ihl = (p[14] & 0x0f) * 4;
		size_t need = 14 + ihl + 4;

		if (p[14 + 9] == 17 && slot->len >= need &&
		    bytes >= offsetof(struct pval_slot, pkt) + need &&
		    (p[14 + ihl + 2] << 8 | p[14 + ihl + 3]) == udp_port)
			n_udp++;
	}

	if (opt_verbose) {
		printf("%s %" PRIu64 " %u %u %04x", d->path, (uint64_t)slot->tstamp, slot->len,
		       slot->pktlen, type);
		if (type == 0x0800 && slot->len >= 34 && bytes >= offsetof(struct pval_slot, pkt) + 34)
			printf(" %u.%u.%u.%u > %u.%u.%u.%u", p[26], p[27], p[28], p[29], p[30], p[31],
			       p[32], p[33]);
		putchar('\n');
	}
}

/* One read from @d.  Returns slots read, 0 when empty, -1 when gone/error
 * (errno set).  EAGAIN counts as empty too: some character devices say
 * so, pval's return 0.
 */
static int read_dev(struct dev *d)
{
	struct iovec iov[MAX_BATCH];
	ssize_t n;
	int i;

	if (use_read) {
		n = read(d->fd, buf, iov_size * batch);
	} else {
		for (i = 0; i < batch; i++) {
			iov[i].iov_base = buf + i * iov_size;
			iov[i].iov_len = iov_size;
		}
		n = readv(d->fd, iov, batch);
	}
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n > batch) {
		fprintf(stderr, "pval-read: %s: read returned %zd, more than the %d slots asked for\n",
			d->path, n, batch);
		exit(1);
	}
	n_reads++;
	for (i = 0; i < n; i++) {
		/* read(): whole slots back to back, or one truncated slot. */
		size_t bytes = iov_size;

		if (use_read)
			bytes = iov_size * batch < sizeof(struct pval_slot) ?
				iov_size * batch : sizeof(struct pval_slot);
		slot_seen(d, (const struct pval_slot *)(buf + i * (use_read ? bytes : iov_size)),
			  bytes);
	}
	if (n && delay_us)
		usleep(delay_us);
	return n;
}

static int handle_err(struct dev *d)
{
	if (errno == EINTR)
		return 0;
	if (errno == ENODEV) {
		printf("gone %s\n", d->path);
		d->gone = 1;
		return 3;
	}
	fprintf(stderr, "pval-read: %s: %s\n", d->path, strerror(errno));
	return 1;
}

static int done(uint64_t start, uint64_t last)
{
	uint64_t t = now_ms();

	if (stop)
		return 1;
	if (max_slots && n_slots >= max_slots)
		return 1;
	if (total_ms >= 0 && t - start >= (uint64_t)total_ms)
		return 1;
	if (idle_ms >= 0 && t - last >= (uint64_t)idle_ms)
		return 1;
	return 0;
}

static int all_gone(void)
{
	int i;

	for (i = 0; i < ndevs; i++)
		if (!devs[i].gone)
			return 0;
	return 1;
}

static int run_block(void)
{
	uint64_t start = now_ms(), last = start;
	struct dev *d = &devs[0];
	struct pollfd pfd = { .fd = d->fd, .events = POLLIN };
	int n;

	while (!done(start, last)) {
		n = read_dev(d);
		if (n < 0) {
			int rc = handle_err(d);

			if (rc)
				return rc;
			continue;
		}
		if (n) {
			last = now_ms();
			continue;
		}
		/* Empty: wait in poll; after POLLERR the next read says ENODEV. */
		if (poll(&pfd, 1, 100) < 0 && errno != EINTR) {
			perror("pval-read: poll");
			return 1;
		}
	}
	return 0;
}

static int run_poll(void)
{
	uint64_t start = now_ms(), last = start;
	struct pollfd pfd[MAX_DEVS];
	int i, n, rc = 0;

	while (!done(start, last) && !all_gone()) {
		for (i = 0; i < ndevs; i++) {
			pfd[i].fd = devs[i].gone ? -1 : devs[i].fd;
			pfd[i].events = POLLIN;
			pfd[i].revents = 0;
		}
		n = poll(pfd, ndevs, 100);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("pval-read: poll");
			return 1;
		}
		for (i = 0; i < ndevs; i++) {
			if (!pfd[i].revents)
				continue;
			/* Drain, then report the error: slots first. */
			while ((n = read_dev(&devs[i])) > 0)
				last = now_ms();
			if (n < 0) {
				int r = handle_err(&devs[i]);

				if (r == 1)
					return 1;
				rc = rc ? rc : r;
			} else if (pfd[i].revents & (POLLERR | POLLHUP)) {
				printf("gone %s (poll 0x%x)\n", devs[i].path, pfd[i].revents);
				devs[i].gone = 1;
				rc = 3;
			}
		}
	}
	return rc;
}

static int run_epoll(void)
{
	uint64_t start = now_ms(), last = start;
	struct epoll_event ev[MAX_DEVS];
	int ep, i, n, rc = 0;

	ep = epoll_create1(0);
	if (ep < 0) {
		perror("pval-read: epoll_create1");
		return 1;
	}
	for (i = 0; i < ndevs; i++) {
		struct epoll_event e = { .events = EPOLLIN, .data.u32 = i };

		if (epoll_ctl(ep, EPOLL_CTL_ADD, devs[i].fd, &e)) {
			perror("pval-read: epoll_ctl");
			return 1;
		}
	}
	while (!done(start, last) && !all_gone()) {
		n = epoll_wait(ep, ev, MAX_DEVS, 100);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			perror("pval-read: epoll_wait");
			return 1;
		}
		while (n-- > 0) {
			struct dev *d = &devs[ev[n].data.u32];
			int r;

			if (d->gone)
				continue;
			while ((r = read_dev(d)) > 0)
				last = now_ms();
			if (r < 0) {
				r = handle_err(d);
				if (r == 1)
					return 1;
				rc = rc ? rc : r;
			} else if (ev[n].events & (EPOLLERR | EPOLLHUP)) {
				printf("gone %s (epoll 0x%x)\n", d->path, ev[n].events);
				d->gone = 1;
				epoll_ctl(ep, EPOLL_CTL_DEL, d->fd, NULL);
				rc = 3;
			}
		}
	}
	close(ep);
	return rc;
}

static int run_none(void)
{
	struct timespec t0, t1;
	int i, n, rc = 4;

	for (i = 0; i < ndevs; i++) {
		clock_gettime(CLOCK_MONOTONIC, &t0);
		n = read_dev(&devs[i]);
		clock_gettime(CLOCK_MONOTONIC, &t1);
		if (n < 0)
			return handle_err(&devs[i]);
		if (n > 0)
			rc = 0;
		else
			printf("empty %s %" PRId64 "\n", devs[i].path,
			       ((int64_t)t1.tv_sec - t0.tv_sec) * 1000000 +
			       (t1.tv_nsec - t0.tv_nsec) / 1000);
	}
	return rc;
}

int main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int c, i, rc;

	while ((c = getopt(argc, argv, "b:S:m:M:n:w:T:d:D:u:W:GscvrB")) != -1) {
		switch (c) {
		case 'b':
			batch = parse_num(optarg, "batch");
			if (batch < 1 || batch > MAX_BATCH)
				usage();
			break;
		case 'S':
			iov_size = parse_num(optarg, "iovec size");
			break;
		case 'm':
			if (!strcmp(optarg, "read"))
				use_read = 1;
			else if (strcmp(optarg, "readv"))
				usage();
			break;
		case 'M':
			if (!strcmp(optarg, "block"))
				wait_mode = WAIT_BLOCK;
			else if (!strcmp(optarg, "poll"))
				wait_mode = WAIT_POLL;
			else if (!strcmp(optarg, "epoll"))
				wait_mode = WAIT_EPOLL;
			else if (!strcmp(optarg, "none"))
				wait_mode = WAIT_NONE;
			else
				usage();
			break;
		case 'n':
			max_slots = parse_num(optarg, "count");
			break;
		case 'w':
			idle_ms = parse_num(optarg, "idle time");
			break;
		case 'T':
			total_ms = parse_num(optarg, "time limit");
			break;
		case 'd':
			delay_us = parse_num(optarg, "delay");
			break;
		case 'D':
			start_delay_ms = parse_num(optarg, "start delay");
			break;
		case 'u':
			udp_port = parse_num(optarg, "port");
			break;
		case 's':
			opt_stats = 1;
			break;
		case 'c':
			opt_check = 1;
			break;
		case 'v':
			opt_verbose = 1;
			break;
		case 'r':
			opt_ready = 1;
			break;
		case 'B':
			opt_blocking = 1;
			break;
		case 'W':
			wake_slots = parse_num(optarg, "wakeup threshold");
			if (wake_slots > UINT32_MAX)
				usage();
			break;
		case 'G':
			opt_wake = 1;
			break;
		default:
			usage();
		}
	}
	ndevs = argc - optind;
	if (ndevs < 1 || ndevs > MAX_DEVS)
		usage();
	if (wait_mode == WAIT_BLOCK && ndevs != 1) {
		fprintf(stderr, "pval-read: -M block reads one device; use -M poll or epoll\n");
		return 2;
	}
	buf = calloc(batch, iov_size > sizeof(struct pval_slot) ? iov_size : sizeof(struct pval_slot));
	if (!buf)
		return 1;

	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);

	for (i = 0; i < ndevs; i++) {
		devs[i].path = argv[optind + i];
		devs[i].fd = open(devs[i].path,
				  O_RDONLY | (wait_mode == WAIT_BLOCK || opt_blocking ? 0 : O_NONBLOCK));
		if (devs[i].fd < 0) {
			fprintf(stderr, "pval-read: %s: %s\n", devs[i].path, strerror(errno));
			return errno == EBUSY ? 5 : 1;
		}
		if (wake_slots >= 0 || opt_wake) {
			uint32_t w = wake_slots;

			if (wake_slots >= 0 && ioctl(devs[i].fd, PVAL_IOC_SET_WAKE_SLOTS, &w)) {
				fprintf(stderr, "pval-read: %s: PVAL_IOC_SET_WAKE_SLOTS: %s\n", devs[i].path,
					strerror(errno));
				return 1;
			}
			if (ioctl(devs[i].fd, PVAL_IOC_GET_WAKE_SLOTS, &w)) {
				fprintf(stderr, "pval-read: %s: PVAL_IOC_GET_WAKE_SLOTS: %s\n", devs[i].path,
					strerror(errno));
				return 1;
			}
			printf("wake %s %" PRIu32 "\n", devs[i].path, w);
		}
		if (opt_stats && ioctl(devs[i].fd, PVAL_IOC_RING_STATS, &devs[i].st0)) {
			fprintf(stderr, "pval-read: %s: PVAL_IOC_RING_STATS: %s\n", devs[i].path,
				strerror(errno));
			return 1;
		}
	}
	if (opt_ready) {
		printf("ready\n");
		fflush(stdout);
	}
	if (start_delay_ms)
		usleep(start_delay_ms * 1000);

	switch (wait_mode) {
	case WAIT_BLOCK:
		rc = run_block();
		break;
	case WAIT_POLL:
		rc = run_poll();
		break;
	case WAIT_EPOLL:
		rc = run_epoll();
		break;
	default:
		rc = run_none();
		break;
	}

	printf("slots %" PRIu64 " udp %" PRIu64 " truncated %" PRIu64 " reads %" PRIu64
	       " tsmin %" PRIu64 " tsmax %" PRIu64 " tszero %" PRIu64 " tsback %" PRIu64
	       " gso %" PRIu64 " gsosegs %" PRIu64 "\n",
	       n_slots, n_udp, n_trunc, n_reads, n_slots && ts_min != UINT64_MAX ? ts_min : 0,
	       ts_max, ts_zero, ts_back, n_gso, n_gso_segs);
	for (i = 0; opt_stats && i < ndevs; i++) {
		struct pval_ring_stats st;

		if (ioctl(devs[i].fd, PVAL_IOC_RING_STATS, &st)) {
			fprintf(stderr, "pval-read: %s: PVAL_IOC_RING_STATS: %s\n", devs[i].path,
				strerror(errno));
			rc = 1;
			continue;
		}
		printf("stats %s copied %llu dropped_full %llu dropped_nomem %llu read %llu\n",
		       devs[i].path, (unsigned long long)(st.copied - devs[i].st0.copied),
		       (unsigned long long)(st.dropped_full - devs[i].st0.dropped_full),
		       (unsigned long long)(st.dropped_nomem - devs[i].st0.dropped_nomem),
		       (unsigned long long)(st.read - devs[i].st0.read));
	}
	if (opt_check && (ts_zero || ts_back)) {
		fprintf(stderr, "pval-read: timestamps: %" PRIu64 " zero, %" PRIu64 " going back\n",
			ts_zero, ts_back);
		if (!rc)
			rc = 6;
	}
	for (i = 0; i < ndevs; i++)
		close(devs[i].fd);
	free(buf);
	return rc;
}
