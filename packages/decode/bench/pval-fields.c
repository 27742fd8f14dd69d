/*
 * Reference loop for bench/pval-fields.bench.ts: extracts the pval fields
 * (ethertype through VLAN tags, IPv4 src/dst, option 222 cpu+seq, tstamp)
 * from a file of struct pval_slot with the same rules as src/fields.ts, and
 * prints the best rate (slots per CPU second) of several passes and sums of every field, so the
 * TypeScript run can check it read the same values.
 *
 * Byte order: slots native, packets network order, option 222 seq little-endian.
 *
 * Usage: pval-fields FILE ROUNDS
 */
#include <endian.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <linux/pval.h>

enum { ST_IPV4 = 1, ST_PVAL = 2, ST_TRUNCATED = 4, ST_MALFORMED = 8, ST_BAD_SLOT = 16 };

struct fields {
	uint32_t status, ethertype, src, dst, cpu, seq_lo, seq_hi, ts_lo, ts_hi;
};

static inline uint16_t be16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }
static inline uint32_t be32(const uint8_t *p) { uint32_t v; memcpy(&v, p, 4); return be32toh(v); }

static void extract(const struct pval_slot *s, struct fields *f)
{
	const uint8_t *p = s->pkt;
	uint32_t len = s->len, off = 12, type;

	memset(f, 0, sizeof(*f));
	f->ts_lo = (uint32_t)s->tstamp;
	f->ts_hi = (uint32_t)(s->tstamp >> 32);
	if (len > PVAL_SLOT_PKT_SIZE || len > s->pktlen) { f->status = ST_BAD_SLOT; return; }
	if (len < 14) { f->status = ST_TRUNCATED; return; }
	type = be16(p + off);
	while (type == 0x8100 || type == 0x88a8 || type == 0x9100) {
		off += 4;
		if (off + 2 > len) { f->status = ST_TRUNCATED; return; }
		type = be16(p + off);
	}
	off += 2;
	f->ethertype = type;
	if (type != 0x0800) return;
	if (off + 20 > len) { f->status = ST_TRUNCATED; return; }
	const uint8_t *ip = p + off;
	uint32_t ihl = (ip[0] & 0x0f) << 2;
	if (ip[0] >> 4 != 4 || ihl < 20) { f->status = ST_MALFORMED; return; }
	f->src = be32(ip + 12);
	f->dst = be32(ip + 16);
	f->status = ST_IPV4;
	if (ihl == 20) return;
	const uint8_t *hdr_end = ip + ihl;
	const uint8_t *end = off + ihl <= len ? hdr_end : p + len;
	const uint8_t *q = ip + 20;
	while (q < end) {
		uint8_t t = q[0], l;
		if (t == 0) break;
		if (t == 1) { q++; continue; }
		if (q + 1 >= end) break;
		l = q[1];
		if (l < 2 || q + l > hdr_end) { f->status |= ST_MALFORMED; return; }
		if (q + l > end) break;
		if (t == PVAL_IPOPT_TYPE) {
			struct pval_ipopt o;
			if (l != PVAL_IPOPT_LEN) { f->status |= ST_MALFORMED; return; }
			memcpy(&o, q, sizeof(o));
			uint64_t seq = le64toh(o.seq);
			f->cpu = o.cpu;
			f->seq_lo = (uint32_t)seq;
			f->seq_hi = (uint32_t)(seq >> 32);
			f->status |= ST_PVAL;
			return;
		}
		q += l;
	}
	if (end < hdr_end) f->status |= ST_TRUNCATED;
}

/* CPU time of this process: other load on the machine does not count. */
static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
	return ts.tv_sec + ts.tv_nsec * 1e-9;
}

int main(int argc, char **argv)
{
	if (argc != 3) { fprintf(stderr, "usage: %s FILE ROUNDS\n", argv[0]); return 2; }
	FILE *fp = fopen(argv[1], "rb");
	if (!fp) { perror(argv[1]); return 1; }
	fseek(fp, 0, SEEK_END);
	long size = ftell(fp);
	fseek(fp, 0, SEEK_SET);
	struct pval_slot *slots = aligned_alloc(64, (size_t)size + 64);
	if (!slots || fread(slots, 1, (size_t)size, fp) != (size_t)size) { perror("read"); return 1; }
	fclose(fp);
	size_t n = (size_t)size / sizeof(struct pval_slot);
	int rounds = atoi(argv[2]);
	double best = 1e30;
	uint32_t sum[9] = { 0 };
	for (int r = 0; r < rounds; r++) {
		uint32_t acc[9] = { 0 };
		struct fields f;
		double t0 = now();
		for (size_t i = 0; i < n; i++) {
			extract(&slots[i], &f);
			acc[0] += f.status; acc[1] += f.ethertype; acc[2] += f.src; acc[3] += f.dst; acc[4] += f.cpu;
			acc[5] += f.seq_lo; acc[6] += f.seq_hi; acc[7] += f.ts_lo; acc[8] += f.ts_hi;
		}
		double dt = now() - t0;
		if (dt < best) best = dt;
		memcpy(sum, acc, sizeof(sum));
	}
	printf("%.0f", n / best);
	for (int k = 0; k < 9; k++) printf(" %u", sum[k]);
	printf("\n");
	free(slots);
	return 0;
}
