/*
 * harness/hist.h - log-linear latency histograms (HdrHistogram's bucket
 * layout, written for contend): exact below 256 ns, then 128 buckets per
 * power of two, so a bucket is at most 1/128 (0.8 %) of the values in
 * it wide.  Recording is an index computation and an increment: no
 * allocation, no lock, no system call, so a task can record into its
 * own histogram inside a timed loop.  The exact count, sum, minimum and
 * maximum are kept beside the buckets.
 */
#ifndef CONTEND_HIST_H
#define CONTEND_HIST_H

#include <stddef.h>
#include <stdint.h>

#define HIST_EXACT_BITS 8			/* 0 .. 255 ns: one bucket each */
#define HIST_SUB_BITS 7				/* 128 buckets per octave above */
#define HIST_TOP_BIT 48				/* 2^48 ns (78 hours): the last octave */
#define HIST_BUCKETS ((1 << HIST_EXACT_BITS) + \
		      (HIST_TOP_BIT - HIST_EXACT_BITS) * (1 << HIST_SUB_BITS))

struct hist {
	uint64_t count, min, max;	/* min is UINT64_MAX while empty */
	double sum;
	uint64_t bucket[HIST_BUCKETS];
};

void hist_clear(struct hist *h);

/* The bucket that holds v (values past 2^48 share the last one; the
 * exact maximum still says how far they went). */
static inline int hist_bucket(uint64_t v)
{
	int e;

	if (v < (1u << HIST_EXACT_BITS))
		return (int)v;
	e = 63 - __builtin_clzll(v);
	if (e >= HIST_TOP_BIT)
		return HIST_BUCKETS - 1;
	return (1 << HIST_EXACT_BITS) + (e - HIST_EXACT_BITS) * (1 << HIST_SUB_BITS) +
	       (int)((v >> (e - HIST_SUB_BITS)) & ((1u << HIST_SUB_BITS) - 1));
}

static inline void hist_record(struct hist *h, uint64_t v)
{
	h->bucket[hist_bucket(v)]++;
	h->count++;
	h->sum += (double)v;
	if (v < h->min)
		h->min = v;
	if (v > h->max)
		h->max = v;
}

/* The smallest and largest value bucket b holds. */
uint64_t hist_bucket_lo(int b);
uint64_t hist_bucket_hi(int b);

/* dst += src. */
void hist_add(struct hist *dst, const struct hist *src);

/*
 * The q-quantile (0 < q <= 1) by nearest rank: the value of the
 * ceil(q * count)-th smallest recording, given as the highest value of
 * its bucket (never more than the exact maximum), so it is exact below
 * 256 ns and at most 0.8 % high above; q = 1 is the exact maximum.  NaN
 * for an empty histogram.
 */
double hist_quantile(const struct hist *h, double q);

#endif
