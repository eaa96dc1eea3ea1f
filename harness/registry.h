/*
 * harness/registry.h - what the harness holds true of every workload's
 * descriptor (the list itself is bench_registry, harness/bench.h).
 */
#ifndef CONTEND_REGISTRY_H
#define CONTEND_REGISTRY_H

#include <stddef.h>

#include "harness/bench.h"

/*
 * NULL when d's metrics mean what their declarations say, else a
 * sentence naming the first metric that cannot (written into buf, which
 * is returned): every unit is one registry_units knows; a metric the
 * harness derives has the unit its kind gives (ns per event, ops/s,
 * ratio); a value the tasks report in a unit of level, not of amount (a
 * ratio, a time per event), is never summed over the tasks, since N
 * tasks each at 1 are at 1 together, not N; a share is a ratio; a slot
 * lies inside the tables.  The runner fails a configuration of a
 * descriptor that breaks it (harness/measure.c), and a test holds every
 * workload to it.
 */
const char *registry_desc_problem(const struct bench_desc *d, char *buf, size_t len);

#endif
