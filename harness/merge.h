/*
 * harness/merge.h - `contend merge DIR... --out DIR`: the run folders of
 * several hosts joined into one dataset, host a column.
 *
 * Each input is a run folder (results.csv and an env.csv that names its
 * host: what `contend sweep` writes).  The output folder, which must not
 * exist yet, holds every CSV file any input has (results, samples,
 * histograms, warnings, failures, skipped), each with a `host` column
 * after `run_id` and the inputs' rows in the order given, and an env.csv
 * of `host,key,value`.  Rows keep their own run id.  A host may appear
 * once: two runs of one host would share every key, so they are
 * refused (merge one run per host; `contend compare` is for two runs of
 * one host).  A merged folder is not an input either: merge its hosts'
 * own folders.  `contend plot` on the output draws a line (or bar) per
 * host.
 *
 * Bad input (a folder that is not a run, a malformed file, files whose
 * columns differ between inputs, a host twice, an --out that exists or
 * cannot be made) is one line and exit 2 before anything is written;
 * the files are published together (outset.h), every one or none.
 */
#ifndef CONTEND_MERGE_H
#define CONTEND_MERGE_H

/* argv: the arguments after "merge".  The exit status (cmd.h). */
int cmd_merge(int argc, char **argv);

#endif
