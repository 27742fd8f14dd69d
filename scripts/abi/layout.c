// SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note
/*
 * Prints the layout of the pval ABI structures as the C compiler sees it,
 * one "struct.field offset size" line per member and "struct size" per
 * struct.  The member list is written out here on purpose, independently
 * of the generator, so a member the generator fails to read is caught.
 */
#include <stddef.h>
#include <stdio.h>
#include <linux/pval.h>

#define FIELD(s, f) \
	printf(#s "." #f " %zu %zu\n", offsetof(struct s, f), sizeof(((struct s *)0)->f))
#define STRUCT(s) printf(#s " %zu\n", sizeof(struct s))

int main(void)
{
	STRUCT(pval_ipopt);
	FIELD(pval_ipopt, type);
	FIELD(pval_ipopt, len);
	FIELD(pval_ipopt, reserved);
	FIELD(pval_ipopt, cpu);
	FIELD(pval_ipopt, seq);

	STRUCT(pval_slot);
	FIELD(pval_slot, len);
	FIELD(pval_slot, gso_segs);
	FIELD(pval_slot, pktlen);
	FIELD(pval_slot, tstamp);
	FIELD(pval_slot, pkt);

	STRUCT(pval_ring_stats);
	FIELD(pval_ring_stats, copied);
	FIELD(pval_ring_stats, dropped_full);
	FIELD(pval_ring_stats, dropped_nomem);
	FIELD(pval_ring_stats, read);
	return 0;
}
