/*
 * harness/registry.c - every workload, from bench/list.h.  `list`,
 * pattern matching and dispatch all read bench_registry.
 */
#include <stddef.h>

#include "harness/bench.h"

#define BENCH(name) extern const struct bench_desc bench_##name;
#include "bench/list.h"
#undef BENCH

const struct bench_desc *const bench_registry[] = {
#define BENCH(name) &bench_##name,
#include "bench/list.h"
#undef BENCH
	NULL,
};
