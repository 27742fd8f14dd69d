// SPDX-License-Identifier: GPL-2.0
/*
 * hwtstamp: reads or sets a device's hardware timestamp configuration
 * through SIOCGHWTSTAMP/SIOCSHWTSTAMP, for the VM suites.
 *
 *   hwtstamp get DEV
 *   hwtstamp set DEV TX_TYPE RX_FILTER
 *
 * TX_TYPE: off | on | a number; RX_FILTER: none | all | a number.
 * Both print the configuration the driver holds afterwards:
 *   tx_type on rx_filter all
 * (names for off/on and none/all, numbers otherwise).
 * Exit: 0, 1 when the ioctl fails (errno text on stderr), 2 on usage.
 */
#include <errno.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static void usage(void)
{
	fprintf(stderr, "usage: hwtstamp get DEV | hwtstamp set DEV off|on|N none|all|N\n");
	exit(2);
}

static int parse(const char *s, const char *zero, const char *one, int one_val)
{
	char *end;
	long v;

	if (!strcmp(s, zero))
		return 0;
	if (!strcmp(s, one))
		return one_val;
	v = strtol(s, &end, 0);
	if (*s == '\0' || *end != '\0')
		usage();
	return (int)v;
}

static void print_val(const char *key, int v, const char *zero, const char *one, int one_val)
{
	if (v == 0)
		printf("%s %s", key, zero);
	else if (v == one_val)
		printf("%s %s", key, one);
	else
		printf("%s %d", key, v);
}

int main(int argc, char **argv)
{
	struct hwtstamp_config cfg = { 0 };
	struct ifreq ifr = { 0 };
	int fd, cmd;

	if (argc == 3 && !strcmp(argv[1], "get")) {
		cmd = SIOCGHWTSTAMP;
	} else if (argc == 5 && !strcmp(argv[1], "set")) {
		cmd = SIOCSHWTSTAMP;
		cfg.tx_type = parse(argv[3], "off", "on", HWTSTAMP_TX_ON);
		cfg.rx_filter = parse(argv[4], "none", "all", HWTSTAMP_FILTER_ALL);
	} else {
		usage();
	}
	if (strlen(argv[2]) >= IFNAMSIZ)
		usage();
	strcpy(ifr.ifr_name, argv[2]);
	ifr.ifr_data = (void *)&cfg;

	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("hwtstamp: socket");
		return 1;
	}
	if (ioctl(fd, cmd, &ifr) < 0) {
		fprintf(stderr, "hwtstamp: %s %s: %s\n", cmd == SIOCGHWTSTAMP ?
			"SIOCGHWTSTAMP" : "SIOCSHWTSTAMP", argv[2], strerror(errno));
		close(fd);
		return 1;
	}
	close(fd);
	print_val("tx_type", cfg.tx_type, "off", "on", HWTSTAMP_TX_ON);
	putchar(' ');
	print_val("rx_filter", cfg.rx_filter, "none", "all", HWTSTAMP_FILTER_ALL);
	putchar('\n');
	return 0;
}
