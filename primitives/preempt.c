/*
 * primitives/preempt.c - the preemption points of primitives/preempt.h.
 *
 * Empty unless built with -DPRIM_PREEMPT: the production library has no
 * points, and so nothing of this file.
 */
#ifdef PRIM_PREEMPT
#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "primitives/arch/cpu.h"
#include "primitives/preempt.h"

/*
 * What a point does, out of 64 equally likely draws: yield on 4 (1 in 16)
 * and spin on 8 (1 in 8), else nothing.  Often enough that a window with a
 * point in it is entered by another task within a few hundred tries on a
 * 2-core machine, rarely enough that a stress test with a few points per
 * operation slows down by a small factor, not by orders of magnitude.
 */
#define PREEMPT_DRAW_BITS	6u
#define PREEMPT_YIELDS		4u
#define PREEMPT_SPINS		8u
_Static_assert(PREEMPT_YIELDS + PREEMPT_SPINS <= 1u << PREEMPT_DRAW_BITS,
	       "more choices than draws");
/*
 * An atomic operation's point (primitives/atomic.h, and the futex calls):
 * yield on 1 draw in 64, spin on 2 in 64.  Four times rarer than a
 * hand-placed point, because there are several per operation and every
 * turn of a spin-wait loop passes one; still, the planted races of
 * scripts/mutations/audit-preempt.txt (windows of a nanosecond) fail
 * their tests within the first few hundred lock hand-overs or timer
 * rounds, while at the hand-placed points' rate the prim tests took
 * about 2.5 times as long (150 s against 61 s on a 2-core machine).
 */
#define PREEMPT_ATOMIC_YIELDS	1u
#define PREEMPT_ATOMIC_SPINS	2u
_Static_assert(PREEMPT_ATOMIC_YIELDS + PREEMPT_ATOMIC_SPINS <=
	       1u << PREEMPT_DRAW_BITS, "more choices than draws");
/*
 * A spin is 1 .. 512 cpu_relax() steps, about 0.01-20 us depending on the
 * core: from a cache-line hand-over to a wake-up in the kernel, the range
 * of the windows a point sits in.
 */
#define PREEMPT_SPIN_MAX	512u

static pthread_once_t preempt_once = PTHREAD_ONCE_INIT;
static uint64_t preempt_seed_value;

/*
 * Where this process sits in its fork tree (mixed from the parent's fork
 * count at each fork), how many threads have drawn so far, and an epoch
 * that a fork bumps so that the forking thread, the one thread a child
 * has, reseeds instead of repeating its parent's stream.  Relaxed: each
 * is a counter whose value only seeds; the child handler runs alone.
 */
static uint64_t preempt_lineage, preempt_forks;
static uint32_t preempt_threads, preempt_epoch = 1;

static __thread uint64_t preempt_state;		/* xorshift64*, never 0 */
static __thread uint32_t preempt_thread_epoch;	/* 0: not seeded yet */
static __thread uint64_t preempt_taken_count;
static __thread uint64_t preempt_atomic_count;

/* SplitMix64's finaliser: spreads a counter into a well-mixed word. */
static uint64_t preempt_mix(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ull;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
	return x ^ (x >> 31);
}

static void preempt_prepare(void)
{
	__atomic_fetch_add(&preempt_forks, 1, __ATOMIC_RELAXED);
}

static void preempt_child(void)
{
	uint64_t f = __atomic_load_n(&preempt_forks, __ATOMIC_RELAXED);

	__atomic_store_n(&preempt_lineage,
			 preempt_mix(__atomic_load_n(&preempt_lineage,
					__ATOMIC_RELAXED) ^ f), __ATOMIC_RELAXED);
	__atomic_store_n(&preempt_forks, 0, __ATOMIC_RELAXED);
	__atomic_store_n(&preempt_threads, 0, __ATOMIC_RELAXED);
	__atomic_fetch_add(&preempt_epoch, 1, __ATOMIC_RELAXED);
}

/*
 * Registered at load time, not at first use, so that every fork of the
 * process is counted, also those before its first point.
 */
__attribute__((constructor)) static void preempt_register(void)
{
	pthread_atfork(preempt_prepare, NULL, preempt_child);
}

static void preempt_init(void)
{
	const char *s = getenv(PRIM_PREEMPT_SEED_ENV);
	char *end;

	if (s && *s) {
		errno = 0;
		preempt_seed_value = strtoull(s, &end, 10);
		if (errno || *end || *s == '-') {
			/* A bad seed is a bad test invocation, not a result. */
			fprintf(stderr, "contend: %s=%s is not a decimal number "
				"below 2^64\n", PRIM_PREEMPT_SEED_ENV, s);
			abort();
		}
		return;
	}
	if (getrandom(&preempt_seed_value, sizeof(preempt_seed_value),
		      GRND_NONBLOCK) != sizeof(preempt_seed_value)) {
		struct timespec ts;

		clock_gettime(CLOCK_REALTIME, &ts);
		preempt_seed_value = (uint64_t)ts.tv_nsec ^
			((uint64_t)ts.tv_sec << 30) ^ (uint64_t)getpid();
	}
}

uint64_t prim_preempt_seed(void)
{
	pthread_once(&preempt_once, preempt_init);
	return preempt_seed_value;
}

static uint64_t preempt_next(void)
{
	uint32_t epoch = __atomic_load_n(&preempt_epoch, __ATOMIC_RELAXED);
	uint64_t x;

	if (__builtin_expect(preempt_thread_epoch != epoch, 0)) {
		uint32_t n = __atomic_fetch_add(&preempt_threads, 1,
						__ATOMIC_RELAXED);

		preempt_state = preempt_mix(prim_preempt_seed() ^
			preempt_mix(__atomic_load_n(&preempt_lineage,
						    __ATOMIC_RELAXED) + n)) | 1;
		preempt_thread_epoch = epoch;
	}
	/* xorshift64* (Marsaglia, Vigna): fast, and good enough to draw. */
	x = preempt_state;
	x ^= x >> 12;
	x ^= x << 25;
	x ^= x >> 27;
	preempt_state = x;
	return x * 0x2545f4914f6cdd1dull;
}

/* Points act only where the draw's low bits under this mask are 0
 * (prim_preempt_thin). */
static uint64_t preempt_thin_mask;

void prim_preempt_thin(unsigned shift)
{
	__atomic_store_n(&preempt_thin_mask, shift ? (UINT64_C(1) << shift) - 1 : 0,
			 __ATOMIC_RELAXED);
}

/* One point: draw, then yield, spin or do nothing. */
static void preempt_at(uint32_t yields, uint32_t spins)
{
	uint64_t r = preempt_next();
	/* The top bits: xorshift64*'s best ones. */
	uint32_t draw = (uint32_t)(r >> (64 - PREEMPT_DRAW_BITS));

	/* Bits 32 and up: apart from the draw's (the top 6) and the
	 * spin length's (the lowest 9). */
	if ((r >> 32) & __atomic_load_n(&preempt_thin_mask, __ATOMIC_RELAXED))
		return;
	if (draw < yields) {
		preempt_taken_count++;
		sched_yield();
	} else if (draw < yields + spins) {
		preempt_taken_count++;
		for (uint32_t n = (uint32_t)(r % PREEMPT_SPIN_MAX) + 1; n; n--)
			cpu_relax();
	}
}

void prim_preempt_point(void)
{
	preempt_at(PREEMPT_YIELDS, PREEMPT_SPINS);
}

void prim_preempt_atomic(void)
{
	preempt_atomic_count++;
	preempt_at(PREEMPT_ATOMIC_YIELDS, PREEMPT_ATOMIC_SPINS);
}

uint64_t prim_preempt_taken(void)
{
	return preempt_taken_count;
}

uint64_t prim_preempt_atomics(void)
{
	return preempt_atomic_count;
}
#endif
