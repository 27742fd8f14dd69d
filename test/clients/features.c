// SPDX-License-Identifier: GPL-2.0
/*
 * features: turns one offload of a network device on or off through the
 * ethtool ioctl, as `ethtool -K DEV gro on` does, for the VM suites (the
 * guest has no ethtool).
 *
 *   features DEV gro|tso|gso on|off
 *
 * Prints "DEV FEATURE on|off" as the device reports it afterwards.
 * Exit: 0, 1 on an error, 2 on a usage error.
 */
#include <errno.h>
#include <linux/ethtool.h>
#include <linux/sockios.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

static const struct {
	const char *name;
	__u32 get, set;
} features[] = {
	{ "gro", ETHTOOL_GGRO, ETHTOOL_SGRO },
	{ "tso", ETHTOOL_GTSO, ETHTOOL_STSO },
	{ "gso", ETHTOOL_GGSO, ETHTOOL_SGSO },
};

static int ethtool(int fd, const char *dev, __u32 cmd, __u32 *data)
{
	struct ethtool_value ev = { .cmd = cmd, .data = *data };
	struct ifreq ifr;

	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_data = (void *)&ev;
	if (ioctl(fd, SIOCETHTOOL, &ifr))
		return -errno;
	*data = ev.data;
	return 0;
}

int main(int argc, char **argv)
{
	unsigned int i;
	__u32 v;
	int fd, err;

	if (argc != 4 || (strcmp(argv[3], "on") && strcmp(argv[3], "off"))) {
		fprintf(stderr, "usage: features DEV gro|tso|gso on|off\n");
		return 2;
	}
	for (i = 0; i < sizeof(features) / sizeof(features[0]); i++)
		if (!strcmp(argv[2], features[i].name))
			break;
	if (i == sizeof(features) / sizeof(features[0])) {
		fprintf(stderr, "features: unknown feature \"%s\"\n", argv[2]);
		return 2;
	}
	fd = socket(AF_INET, SOCK_DGRAM, 0);
	if (fd < 0) {
		perror("features: socket");
		return 1;
	}
	v = !strcmp(argv[3], "on");
	err = ethtool(fd, argv[1], features[i].set, &v);
	if (!err)
		err = ethtool(fd, argv[1], features[i].get, &v);
	close(fd);
	if (err) {
		fprintf(stderr, "features: %s %s: %s\n", argv[1], argv[2], strerror(-err));
		return 1;
	}
	printf("%s %s %s\n", argv[1], argv[2], v ? "on" : "off");
	return 0;
}
