// SPDX-License-Identifier: GPL-2.0
/*
 * netstamp-probe: tells whether the kernel stamps received packets right
 * now, i.e. whether the netstamp_needed static key is on (someone holds
 * net_enable_timestamp(): a socket with SO_TIMESTAMP, a pval link with
 * swtstamp on, ...), for the VM suites.
 *
 *   netstamp-probe [-d MS]
 *       sends one UDP datagram to itself over loopback, waits MS ms
 *       (default 200) before receiving it, then reads the socket's
 *       receive timestamp with SIOCGSTAMP and prints
 *       stamped 0|1 age_us N
 *   netstamp-probe -H SECONDS
 *       holds a socket with SO_TIMESTAMP open (one more reference on the
 *       key) for SECONDS, printing "holding" once it has it.
 *
 * How the probe sees the key: loopback clears the sender's stamp and
 * netif_rx() stamps the datagram (skb->tstamp = CLOCK_REALTIME) only when
 * the key is on, synchronously inside sendto().  Right after sendto() a
 * first SIOCGSTAMP (ENOENT: nothing received yet) sets SOCK_TIMESTAMP on
 * the socket, so that recv() stores skb->tstamp as it is in the socket
 * (sock_recv_cmsgs() -> sock_write_timestamp(); without the flag it would
 * store 0).  The second SIOCGSTAMP returns that stamp, or the current time
 * when it is 0.  So the age of the stamp (now - stamp) is about MS when
 * the key was on at sendto() and about 0 when it was off.  SIOCGSTAMP
 * turns the key on for this socket only after the datagram was stamped or
 * not; the probe closes the socket at the end (the kernel turns the key
 * off again from a work item, so two probes should be some ms apart).
 * Loopback is per network namespace, the key is global: any namespace.
 *
 * Exit: 0, 1 on an error, 2 on a usage error.
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <linux/sockios.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

static int64_t realtime_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static int hold(long seconds)
{
	int fd = socket(AF_INET, SOCK_DGRAM, 0), on = 1;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_TIMESTAMP, &on, sizeof(on))) {
		perror("netstamp-probe: SO_TIMESTAMP");
		return 1;
	}
	printf("holding\n");
	fflush(stdout);
	sleep(seconds);
	close(fd);
	return 0;
}

static int probe(long delay_ms)
{
	struct sockaddr_in sa = { .sin_family = AF_INET };
	socklen_t salen = sizeof(sa);
	struct timeval tv;
	int64_t now, age;
	char buf[16] = "probe";
	int fd;

	sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof(sa)) ||
	    getsockname(fd, (struct sockaddr *)&sa, &salen)) {
		perror("netstamp-probe: socket");
		return 1;
	}
	if (sendto(fd, buf, 5, 0, (struct sockaddr *)&sa, sizeof(sa)) != 5) {
		perror("netstamp-probe: sendto");
		return 1;
	}
	if (ioctl(fd, SIOCGSTAMP, &tv) == 0 || errno != ENOENT) {
		fprintf(stderr, "netstamp-probe: SIOCGSTAMP before recv: expected ENOENT\n");
		return 1;
	}
	usleep(delay_ms * 1000);
	if (recv(fd, buf, sizeof(buf), MSG_DONTWAIT) != 5) {
		perror("netstamp-probe: recv");
		return 1;
	}
	if (ioctl(fd, SIOCGSTAMP, &tv)) {
		perror("netstamp-probe: SIOCGSTAMP");
		return 1;
	}
	now = realtime_us();
	close(fd);
	age = now - ((int64_t)tv.tv_sec * 1000000 + tv.tv_usec);
	/* Half the delay apart from both answers: a slow guest still fits. */
	printf("stamped %d age_us %lld\n", age * 2 >= delay_ms * 1000, (long long)age);
	return 0;
}

int main(int argc, char **argv)
{
	long delay_ms = 200, hold_s = -1;
	int c;

	while ((c = getopt(argc, argv, "d:H:")) != -1) {
		switch (c) {
		case 'd':
			delay_ms = strtol(optarg, NULL, 0);
			break;
		case 'H':
			hold_s = strtol(optarg, NULL, 0);
			break;
		default:
			fprintf(stderr, "usage: netstamp-probe [-d MS] | -H SECONDS\n");
			return 2;
		}
	}
	if (delay_ms <= 0 || optind != argc) {
		fprintf(stderr, "usage: netstamp-probe [-d MS] | -H SECONDS\n");
		return 2;
	}
	return hold_s >= 0 ? hold(hold_s) : probe(delay_ms);
}
