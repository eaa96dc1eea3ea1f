/*
 * harness/hist.c - log-linear histograms (see hist.h).
 */
#include <math.h>
#include <string.h>

#include "harness/hist.h"

void hist_clear(struct hist *h)
{
	memset(h, 0, sizeof(*h));
	h->min = UINT64_MAX;
}

uint64_t hist_bucket_lo(int b)
{
	int octave, sub;

	if (b < (1 << HIST_EXACT_BITS))
		return (uint64_t)b;
	octave = (b - (1 << HIST_EXACT_BITS)) >> HIST_SUB_BITS;
	sub = (b - (1 << HIST_EXACT_BITS)) & ((1 << HIST_SUB_BITS) - 1);
	/* Octave k covers [2^(8+k), 2^(9+k)) in 128 steps of 2^(1+k). */
	return ((uint64_t)(1 << HIST_SUB_BITS) + (uint64_t)sub)
	       << (octave + HIST_EXACT_BITS - HIST_SUB_BITS);
}

uint64_t hist_bucket_hi(int b)
{
	if (b == HIST_BUCKETS - 1)
		return UINT64_MAX;
	return hist_bucket_lo(b + 1) - 1;
}

void hist_add(struct hist *dst, const struct hist *src)
{
	for (int b = 0; b < HIST_BUCKETS; b++)
		dst->bucket[b] += src->bucket[b];
	dst->count += src->count;
	dst->sum += src->sum;
	if (src->min < dst->min)
		dst->min = src->min;
	if (src->max > dst->max)
		dst->max = src->max;
}

double hist_quantile(const struct hist *h, double q)
{
	uint64_t rank, seen = 0;

	if (h->count == 0 || !(q > 0) || q > 1)
		return NAN;
	if (q == 1)
		return (double)h->max;
	rank = (uint64_t)ceil(q * (double)h->count);
	if (rank < 1)
		rank = 1;
	for (int b = 0; b < HIST_BUCKETS; b++) {
		seen += h->bucket[b];
		if (seen >= rank) {
			uint64_t hi = hist_bucket_hi(b);

			return (double)(hi < h->max ? hi : h->max);
		}
	}
	return (double)h->max;	/* not reached: the buckets sum to count */
}
