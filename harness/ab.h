/*
 * harness/ab.h - `contend ab BASE_BIN NEW_BIN BENCH... [run options]`:
 * two builds measured interleaved on one machine (configuration by
 * configuration, repetition blocks in ABBA order), pooled into
 * DIR/base and DIR/new, then compared (compare.h).
 */
#ifndef CONTEND_AB_H
#define CONTEND_AB_H

/*
 * argv: the arguments after "ab".  Returns the exit status: compare's
 * (0 no significant regression, 1 one at least or a block that failed
 * in a way that lost a configuration), 2 bad input (one line, before any
 * work: a build that is not an executable contend, an unknown option, a
 * run folder that exists) or a build that refused a configuration,
 * 128 + the signal when stopped.
 */
int cmd_ab(int argc, char **argv);

#endif
