/*
 * bench/queue.h - the queue.* workloads' shared state (bench/queue.c):
 * here, not in the .c file, so that a test can write a state wrong in
 * one count and ask check() about it (tests/test_h_checks_queue.c).
 * Only the definitions; what they mean is bench/queue.c's header.
 */
#ifndef CONTEND_BENCH_QUEUE_H
#define CONTEND_BENCH_QUEUE_H

#include <stddef.h>
#include <stdint.h>

#include "primitives/arch/cpu.h"
#include "primitives/ring_ck.h"

enum qb_kind { QB_FIFO, QB_LIFO, QB_PRIORITY, QB_DEQUE, QB_SPSC, QB_MPMC };

/* Flat-out rounds kept for the paced rate: more than calibration, warm-up
 * and the repetitions of any run make. */
#define QB_FLAT_ROUNDS 64

/* What one consumer received from one producer. */
struct qb_cell {
	uint64_t count, sum, sumsq;
};

/* A producer's own counters, a cache line each. */
struct qb_producer {
	uint64_t made;			/* items made, all rounds */
	uint64_t start_ns;		/* when it began this flat-out round */
	uint64_t lat_rounds;		/* latency rounds seen */
	uint64_t paced_rounds;		/* those it paced (load > 0): check() */
	uint64_t most_late;		/* the most a timed item's producer woke after its due time */
	int ahead;			/* a paced round ended before its schedule */
	uint64_t paced_t0, paced_end;	/* this paced round's start and end */
} CPU_ALIGNED;

struct qb_consumer {
	uint64_t target;		/* claims this consumer may take up to, all rounds */
	uint64_t got;
	uint64_t most_latency;		/* the longest latency it recorded */
	uint64_t start_ns;		/* when it began this flat-out round */
	int lost_this_round;		/* selftest.queue_loss */
} CPU_ALIGNED;

/* Hidden self-tests of the harness, on a FIFO. */
enum qb_selftest {
	QB_REAL,
	QB_LOSE,	/* consumers forget one item a round: check must fail */
	QB_SPARSE,	/* producers time items only in odd latency rounds */
};

struct qb_shared {
	enum qb_kind kind;
	int producers, consumers;
	enum qb_selftest selftest;
	size_t capacity, payload, slot_bytes;
	uint64_t slab_len, sample, load_pct;
	void *q;			/* struct queue, deque or ring_ck */
	ck_ring_buffer_t *ring_buf;
	unsigned char *slab;		/* [producers][slab_len][slot_bytes] */
	struct qb_producer *prod;
	struct qb_consumer *cons;
	struct qb_cell *cells;		/* [consumers][producers] */
	uint64_t claimed CPU_ALIGNED;	/* consumer tickets, all rounds */
	/* The operations run() returned to the harness, all rounds and
	 * tasks: what items_per_sec counts, held to the items received. */
	uint64_t ops CPU_ALIGNED;
	/* Flat-out rounds of a paced configuration: consumers done with
	 * this one; the items and the items/s of the latest QB_FLAT_ROUNDS. */
	uint64_t flat_done CPU_ALIGNED;
	uint64_t nflat;
	uint64_t flat_items[QB_FLAT_ROUNDS];
	double flat_rate[QB_FLAT_ROUNDS];
	/* Paced rounds: producers done with this one, and the rounds whose
	 * items went faster than load % of the flat-out rate (check()). */
	uint64_t paced_done CPU_ALIGNED;
	uint64_t too_fast;
};

#endif
