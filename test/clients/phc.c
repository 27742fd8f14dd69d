// SPDX-License-Identifier: GPL-2.0
/*
 * phc: a network device's PTP hardware clock, for the VM suites.
 *
 *   phc info IFACE      what ETHTOOL_GET_TS_INFO reports:
 *                       phc /dev/ptpN tx_hw 0|1 rx_hw 0|1 tx_types 0xX rx_filters 0xX
 *                       (phc none when the device has no clock)
 *   phc get DEV         reads the clock DEV (/dev/ptpN) and CLOCK_REALTIME
 *                       right after it:   phc NS realtime NS
 *   phc set DEV NS      sets the clock DEV to NS and prints what get prints
 *
 * The clock is read with clock_gettime() on the clock id of DEV's file
 * descriptor (FD_TO_CLOCKID, as linuxptp's phc_ctl does).
 * Exit: 0, 1 when a call fails (errno text on stderr), 2 on usage.
 */
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <linux/ethtool.h>
#include <linux/net_tstamp.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define FD_TO_CLOCKID(fd)	((clockid_t)((((unsigned int)~(fd)) << 3) | 3))

static void usage(void)
{
	fprintf(stderr, "usage: phc info IFACE | phc get /dev/ptpN | phc set /dev/ptpN NS\n");
	exit(2);
}

static void fail(const char *what, const char *arg)
{
	fprintf(stderr, "phc: %s %s: %s\n", what, arg, strerror(errno));
	exit(1);
}

static uint64_t ts_ns(const struct timespec *ts)
{
	return (uint64_t)ts->tv_sec * 1000000000ull + (uint64_t)ts->tv_nsec;
}

static int info(const char *ifname)
{
	struct ethtool_ts_info ti = { .cmd = ETHTOOL_GET_TS_INFO };
	struct ifreq ifr = { 0 };
	int fd;

	if (strlen(ifname) >= IFNAMSIZ)
		usage();
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0)
		fail("socket", "");
	strcpy(ifr.ifr_name, ifname);
	ifr.ifr_data = (void *)&ti;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		fail("ETHTOOL_GET_TS_INFO", ifname);
	close(fd);
	if (ti.phc_index >= 0)
		printf("phc /dev/ptp%d", ti.phc_index);
	else
		printf("phc none");
	printf(" tx_hw %d rx_hw %d tx_types 0x%x rx_filters 0x%x\n",
	       !!(ti.so_timestamping & SOF_TIMESTAMPING_TX_HARDWARE),
	       !!(ti.so_timestamping & SOF_TIMESTAMPING_RX_HARDWARE),
	       ti.tx_types, ti.rx_filters);
	return 0;
}

static int get_set(const char *dev, const char *set)
{
	struct timespec phc, rt;
	clockid_t id;
	int fd;

	fd = open(dev, set ? O_RDWR : O_RDONLY);
	if (fd < 0)
		fail("open", dev);
	id = FD_TO_CLOCKID(fd);
	if (set) {
		char *end;
		unsigned long long ns;

		errno = 0;
		ns = strtoull(set, &end, 0);
		if (errno || *set == '\0' || *end != '\0' || *set == '-')
			usage();
		phc.tv_sec = (time_t)(ns / 1000000000ull);
		phc.tv_nsec = (long)(ns % 1000000000ull);
		if (clock_settime(id, &phc))
			fail("clock_settime", dev);
	}
	if (clock_gettime(id, &phc))
		fail("clock_gettime", dev);
	clock_gettime(CLOCK_REALTIME, &rt);
	printf("phc %" PRIu64 " realtime %" PRIu64 "\n", ts_ns(&phc), ts_ns(&rt));
	close(fd);
	return 0;
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "info"))
		return info(argv[2]);
	if (argc == 3 && !strcmp(argv[1], "get"))
		return get_set(argv[2], NULL);
	if (argc == 4 && !strcmp(argv[1], "set"))
		return get_set(argv[2], argv[3]);
	usage();
	return 2;
}
