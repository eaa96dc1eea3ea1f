/*
 * tests/test_h_merge.c - `contend merge`: run folders of two hosts into
 * one dataset (every row once, under its own host), a line per host in
 * `contend plot`, and every bad input refused with one line before
 * anything is written.  The fixtures are hand-made run folders, and one
 * real sweep merged with a copy of itself under another host's name.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/h_util.h"

/* A run folder of host `host` under dir/name: a lock benchmark at 1 and
 * 2 tasks whose throughput is `tput` and tput / 2, a sample per row, a
 * histogram; `counter` names the last results column (a run with
 * another --counters has another). */
static void mx_run(const char *dir, const char *name, const char *host, double tput,
		   const char *counter)
{
	char path[256], text[2048];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	cr_assert_eq(mkdir(path, 0777), 0);
	snprintf(path, sizeof(path), "%s/%s/results.csv", dir, name);
	snprintf(text, sizeof(text),
		 "run_id,bench,mode,placement,threads,params,metric,unit,reps,median,ci95_lo,"
		 "ci95_hi,cpus,%s\n"
		 "id-%s,fam.a,thread,none,1,k=0,tput,ops/s,5,%g,%g,%g,0,1\n"
		 "id-%s,fam.a,thread,none,2,k=0,tput,ops/s,5,%g,%g,%g,\"0,1\",2\n",
		 counter, host, tput, tput * 0.9, tput * 1.1, host, tput / 2, tput / 2 * 0.9,
		 tput / 2 * 1.1);
	cli_write_str(path, text);
	snprintf(path, sizeof(path), "%s/%s/samples.csv", dir, name);
	snprintf(text, sizeof(text),
		 "run_id,bench,mode,placement,threads,params,metric,unit,rep,value\n"
		 "id-%s,fam.a,thread,none,1,k=0,tput,ops/s,1,%g\n"
		 "id-%s,fam.a,thread,none,2,k=0,tput,ops/s,1,%g\n", host, tput, host, tput / 2);
	cli_write_str(path, text);
	snprintf(path, sizeof(path), "%s/%s/histograms.csv", dir, name);
	snprintf(text, sizeof(text),
		 "run_id,bench,mode,placement,threads,params,metric,bucket_lo_ns,bucket_hi_ns,"
		 "count\nid-%s,fam.a,thread,none,1,k=0,wait,5,5,7\n", host);
	cli_write_str(path, text);
	snprintf(path, sizeof(path), "%s/%s/env.csv", dir, name);
	snprintf(text, sizeof(text), "key,value\nrun_id,id-%s\nhost,%s\npus,%d\n", host, host,
		 tput > 100 ? 4 : 2);
	cli_write_str(path, text);
}

/* A chart script that prints the labels it was given (test_h_plot.c's
 * way of seeing what gnuplot would draw). */
static void mx_script(const char *dir, const char *spec)
{
	char path[256], text[512];

	snprintf(path, sizeof(path), "%s/fam.gp", dir);
	snprintf(text, sizeof(text),
		 "# contend: %s\nset print '-'\n"
		 "print sprintf('nseries=%%d ncpus=%%d', nseries, ncpus)\n"
		 "print series\nprint machine\n", spec);
	cli_write_str(path, text);
}

/* `contend plot` of merged folder out with a line chart over threads
 * (the script in dir/plots), which must succeed. */
static void mx_plot_lines(const char *dir, char *out)
{
	static struct cli_run r;
	char scripts[128];

	snprintf(scripts, sizeof(scripts), "%s/plots", dir);
	cr_assert_eq(mkdir(scripts, 0777), 0);
	mx_script(scripts, "chart=lines metric=tput x=threads");
	setenv("CONTEND_PLOTS_DIR", scripts, 1);
	CLI(&r, "plot", out);
	cr_assert_eq(r.status, 0, "%s", r.err);
}

static char *mx_slurp(const char *path)
{
	static char buf[1 << 17];	/* the page, too */
	FILE *f = fopen(path, "r");
	size_t n;

	cr_assert(f, "%s was not written", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(merge, two_hosts_one_dataset_a_line_each, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], a[128], b[128], out[128], path[192];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	mx_run(dir, "a", "alpha", 200, "syscalls_per_op");
	mx_run(dir, "b", "beta", 80, "syscalls_per_op");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(out, sizeof(out), "%s/m", dir);
	CLI(&r, "merge", a, b, "--out", out);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "merged 2 runs (alpha, beta): 4 result rows"), "%s", r.err);
	cli_expect_no_temp(out);

	/* host after run_id; each input's rows once, in order, its host
	 * beside its own run id; the other columns as they were. */
	snprintf(path, sizeof(path), "%s/results.csv", out);
	cr_assert_str_eq(mx_slurp(path),
			 "run_id,host,bench,mode,placement,threads,params,metric,unit,reps,median,"
			 "ci95_lo,ci95_hi,cpus,syscalls_per_op\n"
			 "id-alpha,alpha,fam.a,thread,none,1,k=0,tput,ops/s,5,200,180,220,0,1\n"
			 "id-alpha,alpha,fam.a,thread,none,2,k=0,tput,ops/s,5,100,90,110,\"0,1\",2\n"
			 "id-beta,beta,fam.a,thread,none,1,k=0,tput,ops/s,5,80,72,88,0,1\n"
			 "id-beta,beta,fam.a,thread,none,2,k=0,tput,ops/s,5,40,36,44,\"0,1\",2\n");
	snprintf(path, sizeof(path), "%s/samples.csv", out);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 4);
	cr_assert_str_eq(t.header[1], "host");
	cr_assert_str_eq(t.rows[3][1], "beta");
	cr_assert_str_eq(t.rows[3][cli_col(&t, "value")], "40");
	csv_table_free(&t);
	snprintf(path, sizeof(path), "%s/histograms.csv", out);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 2);
	cr_assert_str_eq(t.rows[0][1], "alpha");
	cr_assert_str_eq(t.rows[1][1], "beta");
	csv_table_free(&t);
	snprintf(path, sizeof(path), "%s/env.csv", out);
	cr_assert_str_eq(mx_slurp(path), "host,key,value\n"
					 "alpha,run_id,id-alpha\nalpha,host,alpha\nalpha,pus,4\n"
					 "beta,run_id,id-beta\nbeta,host,beta\nbeta,pus,2\n");
	/* No file that no input had. */
	snprintf(path, sizeof(path), "%s/warnings.csv", out);
	cr_assert_neq(access(path, F_OK), 0);
	cr_assert_eq(cli_count_files(out), 4);

	/* plot: a line per host, each named; the hosts on the machine line;
	 * no processor count where the hosts differ in it. */
	mx_plot_lines(dir, out);
	snprintf(path, sizeof(path), "%s/fam.png", out);
	cr_assert_str_eq(mx_slurp(path), "nseries=2 ncpus=0\n"
					 "\"a host=alpha\" \"a host=beta\"\n"
					 "hosts alpha, beta\n");
	snprintf(path, sizeof(path), "%s/fam.dat", out);
	cr_assert_str_eq(mx_slurp(path), "1\t200\t180\t220\n2\t100\t90\t110\n"
					 "\n\n1\t80\t72\t88\n2\t40\t36\t44\n");
	/* The page has a column per host's machine, no one machine's
	 * topology picture. */
	snprintf(path, sizeof(path), "%s/index.html", out);
	cr_assert(strstr(mx_slurp(path), "<th>alpha</th><th>beta</th>"), "no column per host");
	cr_assert(strstr(mx_slurp(path), "<th>pus</th><td>4</td><td>2</td>"),
		  "each host's own processors");
	snprintf(path, sizeof(path), "%s/topology.png", out);
	cr_assert_neq(access(path, F_OK), 0);
	/* One host's run is drawn as before: no host in its labels. */
	CLI(&r, "plot", a);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/fam.png", a);
	cr_assert_str_eq(mx_slurp(path), "nseries=1 ncpus=4\n\"a\"\n\n");
	cli_rmdir(dir);
}

Test(merge, bad_input_is_one_line_and_writes_nothing, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], a[128], c[128], d[128], e[128], out[128], path[400];

	cli_tmpdir(dir, sizeof(dir));
	mx_run(dir, "a", "alpha", 200, "syscalls_per_op");
	mx_run(dir, "c", "gamma", 80, "ctx_switches_per_op");	/* other counters */
	mx_run(dir, "e", "epsilon", 80, "syscalls_per_op");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	snprintf(d, sizeof(d), "%s/d", dir);
	snprintf(e, sizeof(e), "%s/e", dir);
	snprintf(out, sizeof(out), "%s/m", dir);

	CLI(&r, "merge", a, "--out", out, "--out", out);
	cli_expect_bad(&r, "twice");
	CLI(&r, "merge", a, e);
	cli_expect_bad(&r, "--out");
	CLI(&r, "merge", "--out", out);
	cli_expect_bad(&r, "give the run folders");
	CLI(&r, "merge", a, e, "--frobnicate", "--out", out);
	cli_expect_bad(&r, "unknown option '--frobnicate'");
	CLI(&r, "merge", a, "/nonexistent/run", "--out", out);
	cli_expect_bad(&r, "/nonexistent/run is not a folder");
	/* A folder that is not a run. */
	cr_assert_eq(mkdir(d, 0777), 0);
	CLI(&r, "merge", a, d, "--out", out);
	cli_expect_bad(&r, "not a run folder of contend sweep (no results.csv)");
	snprintf(path, sizeof(path), "%s/results.csv", d);
	cli_write_str(path, "run_id,bench,mode\nx,y,z\n");
	CLI(&r, "merge", a, d, "--out", out);
	cli_expect_bad(&r, "no 'placement' column");
	snprintf(path, sizeof(path), "%s/results.csv", e);
	cli_write_str(path, "run_id,bench\n\"x,y\n");
	CLI(&r, "merge", a, e, "--out", out);
	cli_expect_bad(&r, "results.csv:2: malformed CSV");
	mx_run(dir, "f", "phi", 80, "syscalls_per_op");
	snprintf(e, sizeof(e), "%s/f", dir);
	snprintf(path, sizeof(path), "%s/env.csv", e);
	cli_write_str(path, "key,value\npus,2\n");
	CLI(&r, "merge", a, e, "--out", out);
	cli_expect_bad(&r, "env.csv names no host");
	unlink(path);
	CLI(&r, "merge", a, e, "--out", out);
	cli_expect_bad(&r, "(no env.csv)");
	/* Inputs that do not fit together. */
	snprintf(path, sizeof(path), "%s/env.csv", e);
	cli_write_str(path, "key,value\nhost,no:colon\n");
	CLI(&r, "merge", a, e, "--out", out);
	cli_expect_bad(&r, "'no:colon' is not a host name");
	CLI(&r, "merge", a, c, "--out", out);
	cli_expect_bad(&r, "column 14 is 'syscalls_per_op' against 'ctx_switches_per_op'");
	/* A merged folder is not an input. */
	mx_run(dir, "g", "gamma", 80, "syscalls_per_op");
	snprintf(c, sizeof(c), "%s/g", dir);
	CLI(&r, "merge", a, c, "--out", out);
	cr_assert_eq(r.status, 0, "%s", r.err);
	CLI(&r, "merge", out, "--out", d);
	cli_expect_bad(&r, "is a merged dataset already");
	/* ... nor a run folder holding a merged file beside its own env. */
	mx_run(dir, "h", "eta", 80, "syscalls_per_op");
	snprintf(path, sizeof(path), "cp %s/results.csv %s/h/results.csv", out, dir);
	cr_assert_eq(system(path), 0);
	snprintf(path, sizeof(path), "%s/h", dir);
	CLI(&r, "merge", a, path, "--out", d);
	cli_expect_bad(&r, "is a merged dataset already (results.csv has a host column)");
	cli_rmdir(out);
	/* Outputs: an existing folder, a folder that cannot be made. */
	CLI(&r, "merge", a, c, "--out", d);
	cli_expect_bad(&r, "exists already");
	CLI(&r, "merge", a, c, "--out", "/nonexistent/m");
	cli_expect_bad(&r, "cannot create the folder");
	CLI(&r, "merge", a, c, "--out", "/proc/m");
	cli_expect_bad(&r, "cannot create the folder");
	cr_assert_neq(access(out, F_OK), 0, "a refused merge left %s", out);
	CLI(&r, "merge", "--help");
	cr_assert_eq(r.status, 0);
	cr_assert(strstr(r.out, "usage: contend merge DIR... --out DIR"), "%s", r.out);
	cli_rmdir(dir);
}

/* What a real sweep writes merges whole: every file, every row. */
Test(merge, a_real_sweep_and_its_copy, .timeout = 120)
{
	static struct cli_run r;
	static const char *const files[] = { "results.csv", "samples.csv", "histograms.csv" };
	char dir[64], plan[128], a[128], b[128], out[128], path[192], cmd[512], host[256] = "";
	struct csv_table t, m;

	cli_tmpdir(dir, sizeof(dir));
	snprintf(plan, sizeof(plan), "%s/plan", dir);
	cli_write_str(plan, "'lock.tas' --threads 1 --reps 3 --min-time 0.002 "
			    "--param cs_ns=0 --mode thread\n");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(out, sizeof(out), "%s/m", dir);
	CLI(&r, "sweep", "--preset", plan, "--out", a, "--counters", "none");
	cr_assert_eq(r.status, 0, "%s", r.err);
	/* The same run, as another machine's. */
	snprintf(cmd, sizeof(cmd), "cp -r %s %s && sed -i 's/^host,.*/host,other-host/' "
		 "%s/env.csv", a, b, b);
	cr_assert_eq(system(cmd), 0);
	CLI(&r, "merge", a, b, "--out", out);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/env.csv", a);
	cli_read_csv(path, &t);
	for (size_t i = 0; i < t.nrows; i++)
		if (!strcmp(t.rows[i][0], "host"))
			snprintf(host, sizeof(host), "%s", t.rows[i][1]);
	csv_table_free(&t);
	cr_assert(host[0]);
	for (size_t f = 0; f < sizeof(files) / sizeof(files[0]); f++) {
		snprintf(path, sizeof(path), "%s/%s", a, files[f]);
		cli_read_csv(path, &t);
		snprintf(path, sizeof(path), "%s/%s", out, files[f]);
		cli_read_csv(path, &m);
		cr_assert_gt(t.nrows, 0);
		cr_assert_eq(m.nrows, 2 * t.nrows, "%s", files[f]);
		cr_assert_eq(m.ncols, t.ncols + 1);
		for (size_t i = 0; i < m.nrows; i++) {
			size_t k = i % t.nrows;

			cr_assert_str_eq(m.rows[i][1], i < t.nrows ? host : "other-host",
					 "%s row %zu", files[f], i);
			for (size_t col = 0; col < t.ncols; col++)
				cr_assert_str_eq(m.rows[i][col + (col > 0)], t.rows[k][col],
						 "%s row %zu column %s", files[f], i,
						 t.header[col]);
		}
		csv_table_free(&t);
		csv_table_free(&m);
	}
	cli_rmdir(dir);
}

/* Two runs of one host (two tasks of a job array on one node) stay
 * apart, labelled host:1 and host:2 in the order given. */
Test(merge, two_runs_of_one_host_are_kept_apart, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], a[128], b[128], c[128], out[128], path[192];
	struct csv_table t;

	cli_tmpdir(dir, sizeof(dir));
	mx_run(dir, "a", "alpha", 200, "syscalls_per_op");
	mx_run(dir, "b", "beta", 100, "syscalls_per_op");
	mx_run(dir, "c", "alpha", 80, "syscalls_per_op");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(b, sizeof(b), "%s/b", dir);
	snprintf(c, sizeof(c), "%s/c", dir);
	snprintf(out, sizeof(out), "%s/m", dir);
	CLI(&r, "merge", a, b, c, "--out", out);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "2 runs of host alpha, kept apart as alpha:1 ... alpha:2"), "%s",
		  r.err);
	snprintf(path, sizeof(path), "%s/results.csv", out);
	cli_read_csv(path, &t);
	cr_assert_eq(t.nrows, 6);
	cr_assert_str_eq(t.rows[0][1], "alpha:1");
	cr_assert_str_eq(t.rows[2][1], "beta");
	cr_assert_str_eq(t.rows[4][1], "alpha:2");
	cr_assert_str_eq(t.rows[4][cli_col(&t, "median")], "80");
	csv_table_free(&t);
	snprintf(path, sizeof(path), "%s/env.csv", out);
	cr_assert(strstr(mx_slurp(path), "alpha:2,host,alpha\n"), "%s", mx_slurp(path));
	cli_rmdir(dir);
}

/*
 * Hosts of one size keep the processor count on the charts (4 here);
 * a file only some inputs have is merged from those (its header from the
 * first that has it, each row with its host), not dropped and not made
 * up for the others; results that differ in how many columns they have
 * are refused, both counts named.
 */
Test(merge, equal_hosts_partial_files_and_column_counts, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], a[128], g[128], out[128], path[192], cmd[512];

	cli_tmpdir(dir, sizeof(dir));
	mx_run(dir, "a", "alpha", 200, "syscalls_per_op");
	mx_run(dir, "g", "gamma", 300, "syscalls_per_op");
	snprintf(a, sizeof(a), "%s/a", dir);
	snprintf(g, sizeof(g), "%s/g", dir);
	snprintf(path, sizeof(path), "%s/warnings.csv", g);
	cli_write_str(path, "run_id,bench,mode,placement,threads,params,metric,warning,value,"
			    "detail\nid-gamma,fam.a,thread,none,1,k=0,tput,noisy,0.1,x\n");
	snprintf(out, sizeof(out), "%s/m", dir);
	CLI(&r, "merge", a, g, "--out", out);
	cr_assert_eq(r.status, 0, "%s", r.err);
	snprintf(path, sizeof(path), "%s/warnings.csv", out);
	cr_assert_str_eq(mx_slurp(path), "run_id,host,bench,mode,placement,threads,params,metric,"
					 "warning,value,detail\n"
					 "id-gamma,gamma,fam.a,thread,none,1,k=0,tput,noisy,0.1,x\n");
	cr_assert_eq(cli_count_files(out), 5);

	mx_plot_lines(dir, out);
	snprintf(path, sizeof(path), "%s/fam.png", out);
	cr_assert_eq(strncmp(mx_slurp(path), "nseries=2 ncpus=4\n", 18), 0, "%s", mx_slurp(path));

	snprintf(cmd, sizeof(cmd), "sed -i 's/$/,extra/' '%s/results.csv'", a);
	cr_assert_eq(system(cmd), 0);
	snprintf(out, sizeof(out), "%s/m2", dir);
	CLI(&r, "merge", a, g, "--out", out);
	cli_expect_bad(&r, "15 columns against 14");
	cli_rmdir(dir);
}
