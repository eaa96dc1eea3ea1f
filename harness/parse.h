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

/*
 * A whole decimal number in [lo, hi], with a leading '-' allowed when
 * lo < 0 and leading zeros read as decimal ("010" is 10, never octal).
 * The one parser behind every integer parameter: the value checked is
 * the value used.
 */
int parse_ll(const char *s, long long lo, long long hi, long long *out,
	     char *err, size_t errlen);

/*
 * Split s at every `sep` into *n fresh strings (*items, free with
 * parse_split_free).  Every item must be non-empty: "a,,b", ",a", "a,"
 * and "" are errors naming `what` (e.g. "--counters").  0, -EINVAL with
 * a sentence in err, or -ENOMEM.
 */
int parse_split(const char *s, char sep, const char *what, char ***items, size_t *n,
		char *err, size_t errlen);
void parse_split_free(char **items, size_t n);

/*
 * src as a message may show it: bytes that are not UTF-8, and
 * characters a terminal would not show as themselves (controls, a
 * byte-order mark, zero-width and direction marks), as \xNN per byte;
 * everything else as is.  Cut at a whole character to fit len bytes;
 * returns dst.
 */
char *parse_escape(const char *src, char *dst, size_t len);

/* A positive finite number of seconds, like "0.5" or "2". */
int parse_seconds(const char *s, double *out, char *err, size_t errlen);

#endif
