// SPDX-License-Identifier: GPL-2.0
/*
 * pkt-send: sends one Ethernet frame, given in hex, through an interface
 * with an AF_PACKET socket (as is: no header is added or checked), so a
 * suite can hand the pval device frames the stack would never build.
 *
 *   pkt-send IFNAME HEX
 *       HEX: the whole frame from its Ethernet header, two hex digits a
 *       byte, at most 1514 bytes; prints "sent N bytes".
 *
 * Exit: 0, 1 on an error, 2 on a usage error.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/if_packet.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define FRAME_MAX	1514

static int hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

int main(int argc, char **argv)
{
	unsigned char frame[FRAME_MAX];
	struct sockaddr_ll sll = { .sll_family = AF_PACKET };
	size_t hexlen, n, i;
	ssize_t sent;
	int fd;

	if (argc != 3) {
		fprintf(stderr, "usage: pkt-send IFNAME HEX\n");
		return 2;
	}
	hexlen = strlen(argv[2]);
	n = hexlen / 2;
	if (hexlen % 2 || n < ETH_HLEN || n > FRAME_MAX) {
		fprintf(stderr, "pkt-send: HEX must hold %d to %d whole bytes, got %zu digits\n",
			ETH_HLEN, FRAME_MAX, hexlen);
		return 2;
	}
	for (i = 0; i < n; i++) {
		int hi = hexval(argv[2][2 * i]), lo = hexval(argv[2][2 * i + 1]);

		if (hi < 0 || lo < 0) {
			fprintf(stderr, "pkt-send: not a hex digit at offset %zu\n", 2 * i);
			return 2;
		}
		frame[i] = hi << 4 | lo;
	}
	sll.sll_ifindex = if_nametoindex(argv[1]);
	if (!sll.sll_ifindex) {
		fprintf(stderr, "pkt-send: %s: %s\n", argv[1], strerror(errno));
		return 1;
	}
	fd = socket(AF_PACKET, SOCK_RAW, 0);
	if (fd < 0) {
		perror("pkt-send: socket");
		return 1;
	}
	sent = sendto(fd, frame, n, 0, (struct sockaddr *)&sll, sizeof(sll));
	if (sent < 0) {
		perror("pkt-send: sendto");
		return 1;
	}
	printf("sent %zd bytes\n", sent);
	close(fd);
	return 0;
}
