/*
 * harness/merge.h - `contend merge DIR... --out DIR`: the run folders of
 * several hosts joined into one dataset, host a column.
 *
 * Each input is a run folder (results.csv and an env.csv that names its
 * host: what `contend sweep` writes).  The output folder, which must not
 * exist yet, holds every CSV file any input has (results, samples,
 * histograms, warnings, failures, skipped), each with a `host` column
 * after `run_id` and the inputs' rows in the order given, and an env.csv
 * of `host,key,value`.  Rows keep their own run id.  Two runs of one
 * host (two tasks of a job array on one node) are kept apart: their
 * host column reads host:1, host:2, ... in the order given (a notice
 * says so; a host name has no ':', so no label is another host's).  A
 * merged folder is not an input: merge its hosts' own folders.
 * `contend plot` on the output draws a line (or bar) per host.
 *
 * Bad input (a folder that is not a run, a malformed file, files whose
 * columns differ between inputs, an --out that exists or
 * cannot be made) is one line and exit 2 before anything is written;
 * the files are published together (outset.h), every one or none.
 */
#ifndef CONTEND_MERGE_H
#define CONTEND_MERGE_H

/* argv: the arguments after "merge".  The exit status (cmd.h). */
int cmd_merge(int argc, char **argv);

#endif
