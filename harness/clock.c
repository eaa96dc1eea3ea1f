/*
 * harness/clock.c - choose, calibrate and characterise the clock.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/clock.h"

int clk_use_ticks;
double clk_ns_per_tick = 1.0;
static struct clk_info clk_info = { .source = "clock_gettime", .ticks_per_ns = 1.0 };

uint64_t clk_mono_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* Does /proc/cpuinfo promise a TSC that ticks at one rate in every
 * P- and C-state?  Without both flags TSC deltas are not time. */
static int clk_tsc_invariant(void)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	int constant = 0, nonstop = 0;

	if (!f)
		return 0;
	while (fgets(line, sizeof(line), f))
		if (strncmp(line, "flags", 5) == 0) {
			constant = strstr(line, " constant_tsc") != NULL;
			nonstop = strstr(line, " nonstop_tsc") != NULL;
			break;
		}
	fclose(f);
	return constant && nonstop;
}

/* Has the kernel kept the TSC as its clocksource?  It switches away when
 * it finds the TSC unstable (skew between sockets, a VM migration), and
 * our rounds compare TSC readings taken on different processors.  Where
 * the file cannot be read we go by the flags alone. */
static int clk_tsc_kernel_trusts(char *cur, size_t len)
{
	FILE *f = fopen("/sys/devices/system/clocksource/clocksource0/current_clocksource", "r");

	snprintf(cur, len, "unknown");
	if (!f)
		return 1;
	if (fgets(cur, (int)len, f))
		cur[strcspn(cur, "\n")] = '\0';
	fclose(f);
	return strcmp(cur, "tsc") == 0;
}

/* Ticks per ns over a 20 ms window, bracketed by CLOCK_MONOTONIC reads:
 * long enough that the two clock reads' cost is < 0.01 % of it. */
static double clk_calibrate(void)
{
	uint64_t t0 = clk_mono_ns(), c0 = cpu_ticks(), t1, c1;

	do {
		t1 = clk_mono_ns();
	} while (t1 - t0 < 20000000);
	c1 = cpu_ticks();
	return (double)(c1 - c0) / (double)(t1 - t0);
}

static void clk_characterise(void)
{
	enum { N = 200000 };
	uint64_t start = clk_now(), prev = start, step = UINT64_MAX;

	for (int i = 0; i < N; i++) {
		uint64_t now = clk_now();
		if (now > prev && now - prev < step)
			step = now - prev;
		prev = now;
	}
	clk_info.read_ns = clk_ns(prev - start) / N;
	clk_info.resolution_ns = step == UINT64_MAX ? 0 : clk_ns(step);
}

static int clk_cmp_u64(const void *pa, const void *pb)
{
	uint64_t a = *(const uint64_t *)pa, b = *(const uint64_t *)pb;

	return (a > b) - (a < b);
}

/*
 * The median of N differences of two back-to-back readings, each turned
 * into whole ns exactly as bench_now_ns() does: the median, not the
 * mean, because an interrupt in one pair must not move it, and not the
 * minimum, because a clock that steps (10 ns on a VM's kvm-clock) reads
 * a pair as one step or two, and the typical pair is the one a sample
 * carries.
 */
static void clk_pair(void)
{
	enum { N = 10001 };
	uint64_t *d = malloc(N * sizeof(*d));

	if (!d)
		return;		/* pair_ns stays 0: nothing is subtracted */
	for (int i = 0; i < N; i++) {
		uint64_t t0 = (uint64_t)clk_ns(clk_now());
		uint64_t t1 = (uint64_t)clk_ns(clk_now());

		d[i] = t1 > t0 ? t1 - t0 : 0;
	}
	qsort(d, N, sizeof(*d), clk_cmp_u64);
	clk_info.pair_ns = d[N / 2];
	free(d);
}

void clk_init(void)
{
#if defined(__x86_64__)
	char cur[64];

	if (clk_tsc_invariant() && clk_tsc_kernel_trusts(cur, sizeof(cur))) {
		clk_info.ticks_per_ns = clk_calibrate();
		clk_info.source = "tsc";
		snprintf(clk_info.note, sizeof(clk_info.note),
			 "invariant TSC, calibrated at %.4f GHz against CLOCK_MONOTONIC",
			 clk_info.ticks_per_ns);
		clk_use_ticks = 1;
	} else if (!clk_tsc_invariant()) {
		snprintf(clk_info.note, sizeof(clk_info.note),
			 "TSC not invariant (no constant_tsc/nonstop_tsc): using clock_gettime");
	} else {
		snprintf(clk_info.note, sizeof(clk_info.note),
			 "the kernel's clocksource is %s, not tsc (unstable TSC?): using "
			 "clock_gettime", cur);
	}
#elif defined(__aarch64__)
	clk_info.ticks_per_ns = (double)cpu_ticks_hz() / 1e9;
	clk_info.source = "cntvct";
	snprintf(clk_info.note, sizeof(clk_info.note),
		 "generic timer virtual counter at %.3f MHz", clk_info.ticks_per_ns * 1e3);
	clk_use_ticks = clk_info.ticks_per_ns > 0;
#else
	snprintf(clk_info.note, sizeof(clk_info.note), "no known cycle counter: clock_gettime");
#endif
	if (!clk_use_ticks) {
		clk_info.source = "clock_gettime";
		clk_info.ticks_per_ns = 1.0;
	}
	clk_ns_per_tick = 1.0 / clk_info.ticks_per_ns;
	clk_characterise();
	clk_pair();
}

const struct clk_info *clk_get_info(void)
{
	return &clk_info;
}

double clk_thread_cpu_ns(void)
{
	struct timespec ts;

	if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) < 0)
		return NAN;
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}
