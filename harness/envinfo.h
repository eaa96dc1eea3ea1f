/*
 * harness/envinfo.h - what makes numbers move, recorded beside them:
 * host, processor, topology, kernel, compiler and flags, git revision,
 * clock, frequency governor, turbo, SMT, ASLR, load, virtualisation,
 * the calibrated work's rate (harness/work.h).
 * Written to env.csv, into the JSON context, and shown by `contend env`.
 */
#ifndef CONTEND_ENVINFO_H
#define CONTEND_ENVINFO_H

#include <stddef.h>

#define ENVINFO_MAX 40

struct envinfo {
	int n;
	char key[ENVINFO_MAX][32];
	char value[ENVINFO_MAX][256];
};

/* Collect everything; run_id and seed are this run's.  Values that
 * cannot be read are "unknown", never guessed. */
void envinfo_collect(struct envinfo *e, const char *run_id, unsigned long long seed);
const char *envinfo_get(const struct envinfo *e, const char *key);

/* env.csv's content (key,value), into a writer the caller commits. */
struct csv_writer;
void envinfo_csv(const struct envinfo *e, struct csv_writer *w);

#endif
