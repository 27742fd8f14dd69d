// SPDX-License-Identifier: GPL-2.0
/*
 * pval-send: a UDP burst and flood generator and sink, for the VM suites
 * and the flood benchmark.
 *
 *   pval-send [-n N] [-t SECONDS] [-s BYTES] [-b BATCH] DST_IPV4 PORT
 *       sends N datagrams (or for SECONDS) of BYTES payload with sendmmsg,
 *       BATCH at a time, and prints
 *       sent N failed N secs S pps P t0 NS t1 NS
 *       (failed: sends refused with ENOBUFS/EAGAIN; with -n they are retried,
 *       so exactly N datagrams leave)
 *       t0/t1 are CLOCK_REALTIME in ns just before the first and just
 *       after the last datagram (the clock of pval's swtstamp).
 *   pval-send -R [-t SECONDS] [-w MS] PORT
 *       receives on PORT until SECONDS pass or MS without a datagram,
 *       and prints
 *       received N secs S pps P
 *
 * Exit: 0, 1 on an error, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_BATCH	256

static uint64_t clock_ns(clockid_t id)
{
	struct timespec ts;

	clock_gettime(id, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + ts.tv_nsec;
}

static void usage(void)
{
	fprintf(stderr, "usage: pval-send [-n N] [-t SECONDS] [-s BYTES] [-b BATCH] DST_IPV4 PORT\n"
			"       pval-send -R [-t SECONDS] [-w MS] PORT\n");
	exit(2);
}

static long num(const char *s, const char *what)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 0);
	if (errno || *end || v < 0) {
		fprintf(stderr, "pval-send: bad %s '%s'\n", what, s);
		exit(2);
	}
	return v;
}

static int sink(int port, double secs, long idle_ms)
{
	struct sockaddr_in sin = { .sin_family = AF_INET, .sin_port = htons(port) };
	static char bufs[MAX_BATCH][2048];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov[MAX_BATCH];
	uint64_t start, last, now, n = 0;
	struct timeval tv = { 0, 100000 };
	int fd, i, r;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sin, sizeof(sin))) {
		perror("pval-send: sink socket");
		return 1;
	}
	setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	for (i = 0; i < MAX_BATCH; i++) {
		iov[i].iov_base = bufs[i];
		iov[i].iov_len = sizeof(bufs[i]);
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_iov = &iov[i];
		msgs[i].msg_hdr.msg_iovlen = 1;
	}
	printf("ready\n");
	fflush(stdout);
	start = last = clock_ns(CLOCK_MONOTONIC);
	for (;;) {
		r = recvmmsg(fd, msgs, MAX_BATCH, 0, NULL);
		now = clock_ns(CLOCK_MONOTONIC);
		if (r > 0) {
			n += r;
			last = now;
		} else if (errno != EAGAIN && errno != EINTR) {
			perror("pval-send: recvmmsg");
			return 1;
		}
		if (secs > 0 && now - start >= secs * 1e9)
			break;
		if (idle_ms >= 0 && n && now - last >= (uint64_t)idle_ms * 1000000)
			break;
	}
	printf("received %" PRIu64 " secs %.3f pps %.0f\n", n, (last - start) / 1e9,
	       last > start ? n / ((last - start) / 1e9) : 0.0);
	return 0;
}

int main(int argc, char **argv)
{
	static char payload[65536];
	struct mmsghdr msgs[MAX_BATCH];
	struct iovec iov;
	struct sockaddr_in dst = { .sin_family = AF_INET };
	uint64_t count = 0, sent = 0, failed = 0, t0, t1, m0, m1;
	long size = 18, batch = 32, idle_ms = -1;
	double secs = 0;
	int c, fd, i, receive = 0;

	while ((c = getopt(argc, argv, "n:t:s:b:w:R")) != -1) {
		switch (c) {
		case 'n':
			count = num(optarg, "count");
			break;
		case 't':
			secs = num(optarg, "seconds");
			break;
		case 's':
			size = num(optarg, "size");
			if (size > (long)sizeof(payload))
				usage();
			break;
		case 'b':
			batch = num(optarg, "batch");
			if (batch < 1 || batch > MAX_BATCH)
				usage();
			break;
		case 'w':
			idle_ms = num(optarg, "idle time");
			break;
		case 'R':
			receive = 1;
			break;
		default:
			usage();
		}
	}
	if (receive) {
		if (argc - optind != 1)
			usage();
		return sink(num(argv[optind], "port"), secs, idle_ms);
	}
	if (argc - optind != 2 || (!count && !secs))
		usage();
	if (inet_pton(AF_INET, argv[optind], &dst.sin_addr) != 1) {
		fprintf(stderr, "pval-send: bad IPv4 address '%s'\n", argv[optind]);
		return 2;
	}
	dst.sin_port = htons(num(argv[optind + 1], "port"));

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	/* Unconnected: ICMP errors from a closed port do not fail sends. */
	if (fd < 0) {
		perror("pval-send: socket");
		return 1;
	}
	iov.iov_base = payload;
	iov.iov_len = size;
	for (i = 0; i < MAX_BATCH; i++) {
		memset(&msgs[i], 0, sizeof(msgs[i]));
		msgs[i].msg_hdr.msg_name = &dst;
		msgs[i].msg_hdr.msg_namelen = sizeof(dst);
		msgs[i].msg_hdr.msg_iov = &iov;
		msgs[i].msg_hdr.msg_iovlen = 1;
	}

	m0 = clock_ns(CLOCK_MONOTONIC);
	t0 = clock_ns(CLOCK_REALTIME);
	for (;;) {
		int want = batch, r;

		/* With -n, exactly N datagrams leave: failed sends are retried. */
		if (count && count - sent < (uint64_t)want)
			want = count - sent;
		if (!want)
			break;
		r = sendmmsg(fd, msgs, want, 0);
		if (r < 0) {
			/* Queue full: count it and try again. */
			if (errno != ENOBUFS && errno != EAGAIN) {
				perror("pval-send: sendmmsg");
				return 1;
			}
			failed++;
		} else {
			sent += r;
		}
		if (secs > 0 && !count && clock_ns(CLOCK_MONOTONIC) - m0 >= secs * 1e9)
			break;
	}
	t1 = clock_ns(CLOCK_REALTIME);
	m1 = clock_ns(CLOCK_MONOTONIC);
	printf("sent %" PRIu64 " failed %" PRIu64 " secs %.3f pps %.0f t0 %" PRIu64 " t1 %" PRIu64 "\n",
	       sent, failed, (m1 - m0) / 1e9, sent / ((m1 - m0) / 1e9), t0, t1);
	return 0;
}
