/*
 * harness/parse.h - the small parsers behind the command line: integer
 * lists ("1,2,4", "1-8", "0,2,4-7"), sizes and durations.  Each returns
 * 0 or -EINVAL and, on error, one sentence in `err` saying what was
 * wrong and what would be right.
 */
#ifndef CONTEND_PARSE_H
#define CONTEND_PARSE_H

#include <stddef.h>

#define PARSE_LIST_MAX 4096

/*
 * Parse a comma-separated list of non-negative integers and ranges A-B
 * (A <= B) into out[0..*n).  Values must lie in [lo, hi]; at most
 * PARSE_LIST_MAX values; empty items, signs, junk and duplicates are
 * errors.
 */
int parse_int_list(const char *s, long lo, long hi, int *out, size_t *n,
		   char *err, size_t errlen);

/* A whole decimal integer in [lo, hi]. */
int parse_long(const char *s, long lo, long hi, long *out, char *err, size_t errlen);

/* A positive finite number of seconds, like "0.5" or "2". */
int parse_seconds(const char *s, double *out, char *err, size_t errlen);

#endif
