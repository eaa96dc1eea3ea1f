/*
 * harness/parse.c - integer lists, whole numbers and durations for the
 * command line.  Strict on purpose: "1,,2", "4-2", "1,2," and "2x" are
 * errors, never silently read as something else.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness/parse.h"

static int parse_fail(char *err, size_t errlen, const char *fmt, const char *what)
{
	snprintf(err, errlen, fmt, what);
	return -EINVAL;
}

/* One unsigned decimal number at *p, advancing p; -1 if none. */
static long parse_number(const char **p, long hi)
{
	const char *s = *p;
	long v = 0;

	if (*s < '0' || *s > '9')
		return -1;
	while (*s >= '0' && *s <= '9') {
		v = v * 10 + (*s - '0');
		if (v > hi)
			v = hi + 1;	/* saturate: reported as out of range */
		s++;
	}
	*p = s;
	return v;
}

int parse_long(const char *s, long lo, long hi, long *out, char *err, size_t errlen)
{
	const char *p = s;
	long v = parse_number(&p, hi);

	if (v < 0 || *p != '\0')
		return parse_fail(err, errlen, "'%s' is not a whole number", s);
	if (v < lo || v > hi) {
		snprintf(err, errlen, "'%s' is out of range (%ld..%ld)", s, lo, hi);
		return -EINVAL;
	}
	*out = v;
	return 0;
}

int parse_int_list(const char *s, long lo, long hi, int *out, size_t *n,
		   char *err, size_t errlen)
{
	const char *p = s;
	size_t count = 0;

	if (*s == '\0')
		return parse_fail(err, errlen, "empty list%s; expected e.g. 1,2,4 or 1-8", "");
	for (;;) {
		long a = parse_number(&p, hi), b;

		if (a < 0) {
			snprintf(err, errlen, "'%s': expected a number at '%s' "
				 "(lists look like 1,2,4 or 1-8)", s, p);
			return -EINVAL;
		}
		b = a;
		if (*p == '-') {
			p++;
			b = parse_number(&p, hi);
			if (b < 0) {
				snprintf(err, errlen, "'%s': range needs an end, as in 1-8", s);
				return -EINVAL;
			}
			if (b < a) {
				snprintf(err, errlen, "'%s': range %ld-%ld runs backwards", s, a, b);
				return -EINVAL;
			}
		}
		if (a < lo || b > hi) {
			snprintf(err, errlen, "'%s': values must lie in %ld..%ld", s, lo, hi);
			return -EINVAL;
		}
		for (long v = a; v <= b; v++) {
			for (size_t i = 0; i < count; i++)
				if (out[i] == v) {
					snprintf(err, errlen, "'%s': %ld appears twice", s, v);
					return -EINVAL;
				}
			if (count == PARSE_LIST_MAX) {
				snprintf(err, errlen, "'%s': more than %d values", s, PARSE_LIST_MAX);
				return -EINVAL;
			}
			out[count++] = (int)v;
		}
		if (*p == '\0')
			break;
		if (*p != ',') {
			snprintf(err, errlen, "'%s': unexpected '%c' (lists look like 1,2,4 or 1-8)",
				 s, *p);
			return -EINVAL;
		}
		p++;
	}
	*n = count;
	return 0;
}

int parse_ll(const char *s, long long lo, long long hi, long long *out,
	     char *err, size_t errlen)
{
	const char *p = s + (s[0] == '-' && lo < 0);
	char *end;
	long long x;

	/* Digits only (strtoll alone would take blanks, '+' and "0x"); base
	 * 10 whatever they start with. */
	if (*p < '0' || *p > '9' || p[strspn(p, "0123456789")] != '\0') {
		snprintf(err, errlen, "'%s' is not a whole number", s);
		return -EINVAL;
	}
	errno = 0;
	x = strtoll(s, &end, 10);
	if (errno == ERANGE || x < lo || x > hi) {
		snprintf(err, errlen, "'%s' is out of range (%lld..%lld)", s, lo, hi);
		return -EINVAL;
	}
	*out = x;
	return 0;
}

int parse_split(const char *s, char sep, const char *what, char ***items, size_t *n,
		char *err, size_t errlen)
{
	size_t count = 1, k = 0;
	char **v;

	*items = NULL;
	*n = 0;
	for (const char *p = s; *p; p++)
		count += *p == sep;
	v = calloc(count, sizeof(*v));
	if (!v)
		return -ENOMEM;
	for (const char *p = s;; p++) {
		const char *e = strchr(p, sep);
		size_t len = e ? (size_t)(e - p) : strlen(p);

		if (len == 0) {
			snprintf(err, errlen, "%s '%s': empty item in the list (items are "
				 "separated by a single '%c')", what, s, sep);
			parse_split_free(v, k);
			return -EINVAL;
		}
		if (!(v[k++] = strndup(p, len))) {
			parse_split_free(v, k - 1);
			return -ENOMEM;
		}
		if (!e)
			break;
		p = e;
	}
	*items = v;
	*n = k;
	return 0;
}

void parse_split_free(char **items, size_t n)
{
	for (size_t i = 0; i < n; i++)
		free(items[i]);
	free(items);
}

int parse_seconds(const char *s, double *out, char *err, size_t errlen)
{
	char *end;
	double v;

	errno = 0;
	v = strtod(s, &end);
	if (end == s || *end != '\0' || errno || !isfinite(v) || v <= 0 || v > 3600)
		return parse_fail(err, errlen,
				  "'%s' is not a duration in seconds (a number > 0 and <= 3600, e.g. 0.2)", s);
	*out = v;
	return 0;
}

/* The length of the valid UTF-8 sequence at s (1 for ASCII), its code
 * point in *cp; 0 for a byte that starts none (overlong forms and
 * surrogates included). */
static size_t parse_utf8(const unsigned char *s, unsigned *cp)
{
	static const unsigned least[] = { 0, 0, 0x80, 0x800, 0x10000 };
	size_t n = s[0] < 0x80 ? 1 : s[0] >= 0xf0 ? 4 : s[0] >= 0xe0 ? 3 : s[0] >= 0xc0 ? 2 : 0;
	unsigned c = n == 1 ? s[0] : s[0] & (0x7fu >> n);

	if (!n || s[0] > 0xf4)
		return 0;
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)	/* the NUL at the end included */
			return 0;
		c = c << 6 | (s[i] & 0x3f);
	}
	if (c < least[n] || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff))
		return 0;
	*cp = c;
	return n;
}

/* Characters a terminal does not show as themselves: controls (C0, DEL,
 * C1), the soft hyphen, zero-width and direction marks, and the
 * byte-order mark. */
static int parse_invisible(unsigned c)
{
	return c < 0x20 || c == 0x7f || (c >= 0x80 && c < 0xa0) || c == 0xad ||
	       (c >= 0x200b && c <= 0x200f) || (c >= 0x2028 && c <= 0x202e) ||
	       (c >= 0x2060 && c <= 0x2069) || c == 0xfeff;
}

char *parse_escape(const char *src, char *dst, size_t len)
{
	const unsigned char *s = (const unsigned char *)src;
	size_t o = 0;

	if (!len)
		return dst;
	while (*s) {
		unsigned c = 0;
		size_t n = parse_utf8(s, &c), k = n ? n : 1;
		int hide = !n || parse_invisible(c);

		if (o + (hide ? 4 * k : k) >= len)
			break;		/* cut at a whole character */
		for (size_t i = 0; i < k; i++) {
			if (hide)
				o += (size_t)snprintf(dst + o, len - o, "\\x%02x", s[i]);
			else
				dst[o++] = (char)s[i];
		}
		s += k;
	}
	dst[o] = '\0';
	return dst;
}
