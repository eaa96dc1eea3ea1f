/*
 * tests/test_h_plot.c - what `contend plot` hands gnuplot: the rows a
 * chart's `# contend:` line selects, pivoted as harness/plot.h says,
 * and the labels.  The charts here are test scripts (CONTEND_PLOTS_DIR)
 * that print gnuplot's variables instead of drawing, so the "image" is
 * text to compare; the data file is compared byte for byte against a
 * hand-made pivot of a hand-made results.csv and histograms.csv.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "tests/check.h"
#include "tests/h_util.h"

static const char plot_results[] =
	"run_id,bench,mode,placement,threads,params,metric,unit,median,ci95_lo,ci95_hi,"
	"ctx_switches_per_op\n"
	"r1,fam.a,thread,none,1,k=0;policy=yield,tput,ops/s,100,90,110,0.5\n"
	"r1,fam.a,thread,none,2,k=0;policy=yield,tput,ops/s,50,45,55,0.25\n"
	"r1,fam.a,thread,none,1,k=100;policy=yield,tput,ops/s,80,70,90,\n"
	"r1,fam.a,thread,none,1,k=0;policy=spin,tput,ops/s,120,110,130,0\n"
	"r1,fam.b,thread,none,1,k=0;policy=sleep,tput,ops/s,70,60,80,1\n"
	"r1,fam.b,thread,none,4,k=0;policy=sleep,tput,ops/s,30,20,40,2\n"
	"r1,fam.b,process,none,4,k=0;policy=sleep,tput,ops/s,1,1,1,1\n"
	"r1,fam.c,thread,none,1,k=0;policy=spin,tput,ops/s,5,5,5,1\n"
	"r1,fam.b,thread,none,4,k=0;policy=sleep,other,ns,9,9,9,1\n";

static const char plot_hist[] =
	"run_id,bench,mode,placement,threads,params,metric,bucket_lo_ns,bucket_hi_ns,count\n"
	"r1,fam.a,thread,none,2,k=0,wait,5,5,7\n"
	"r1,fam.a,thread,none,1,k=0,wait,0,10,1\n"
	"r1,fam.a,thread,none,1,k=0,wait,11,20,3\n";

/* A chart script that prints what it was given, on standard output. */
static void plot_script(const char *dir, const char *name, const char *spec)
{
	char path[256], text[1024];

	snprintf(path, sizeof(path), "%s/%s.gp", dir, name);
	snprintf(text, sizeof(text),
		 "# contend: %s\n"
		 "set print '-'\n"
		 "print sprintf('nseries=%%d npanels=%%d ncpus=%%d unit=%%s', nseries, npanels, "
		 "ncpus, unit)\n"
		 "print series\n"
		 "print panels\n"
		 "print members\n", spec);
	cli_write_str(path, text);
}

static char *plot_slurp(const char *dir, const char *file)
{
	static char buf[1 << 20];
	char path[256];
	FILE *f;
	size_t n;

	snprintf(path, sizeof(path), "%s/%s", dir, file);
	f = fopen(path, "r");
	cr_assert(f, "%s was not written", path);
	n = fread(buf, 1, sizeof(buf) - 1, f);
	buf[n] = '\0';
	fclose(f);
	return buf;
}

Test(plot, pivots_as_the_spec_says, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128], scripts[128], path[192];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(scripts, sizeof(scripts), "%s/plots", dir);
	CLI(&r, "plot", dir);	/* (makes nothing: only to fail early if plot is gone) */
	cr_assert_eq(r.status, 2);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(mkdir(scripts, 0755), 0);
	snprintf(path, sizeof(path), "%s/results.csv", run);
	cli_write_str(path, plot_results);
	snprintf(path, sizeof(path), "%s/histograms.csv", run);
	cli_write_str(path, plot_hist);
	snprintf(path, sizeof(path), "%s/env.csv", run);
	cli_write_str(path, "key,value\ncpu_model,Test CPU\npus,8\n");
	/* Lines: a line per benchmark, and per policy, which varies for a
	 * (so every label names it); a panel per k; c and processes out. */
	plot_script(scripts, "fam", "chart=lines metric=tput x=threads panel=k "
				    "where=mode:thread,bench:!c");
	/* Bars: each benchmark's largest task count at k=0. */
	plot_script(scripts, "fam-bars", "chart=bars metric=tput group=bench series=threads "
					 "where=mode:thread,k:0,threads:max");
	/* A counter column, no CI; its 0 kept on a linear scale; an empty
	 * cell (a k=100) is no bar and no group. */
	plot_script(scripts, "fam-ctr", "metric=tput column=ctx_switches_per_op group=bench "
					"series=policy where=mode:thread,threads:min scale=linear");
	/* A CDF of the fewest tasks' histogram. */
	plot_script(scripts, "fam-cdf", "chart=cdf metric=wait where=threads:min");
	setenv("CONTEND_PLOTS_DIR", scripts, 1);
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cli_expect_no_temp(run);

	cr_assert_str_eq(plot_slurp(run, "fam.dat"),
			 "1\t120\t110\t130\n"			/* k=0, a policy=spin */
			 "\n\n1\t100\t90\t110\n2\t50\t45\t55\n"	/* k=0, a policy=yield */
			 "\n\n1\t70\t60\t80\n4\t30\t20\t40\n"	/* k=0, b policy=sleep */
			 "\n\nNaN\tNaN\tNaN\tNaN\n"		/* k=100, a policy=spin */
			 "\n\n1\t80\t70\t90\n"			/* k=100, a policy=yield */
			 "\n\nNaN\tNaN\tNaN\tNaN\n");		/* k=100, b policy=sleep */
	cr_assert_str_eq(plot_slurp(run, "fam.png"),
			 "nseries=3 npanels=2 ncpus=8 unit=ops/s\n"
			 "\"a policy=spin\" \"a policy=yield\" \"b policy=sleep\"\n"
			 "\"0\" \"100\"\n"
			 "\"0 1 2\" \"1\"\n");

	cr_assert_str_eq(plot_slurp(run, "fam-bars.dat"),
			 "group\t1\t1_lo\t1_hi\t2\t2_lo\t2_hi\t4\t4_lo\t4_hi\n"
			 "\"a\"\tNaN\tNaN\tNaN\t50\t45\t55\tNaN\tNaN\tNaN\n"
			 "\"b\"\tNaN\tNaN\tNaN\tNaN\tNaN\tNaN\t30\t20\t40\n"
			 "\"c\"\t5\t5\t5\tNaN\tNaN\tNaN\tNaN\tNaN\tNaN\n");

	cr_assert_str_eq(plot_slurp(run, "fam-ctr.dat"),
			 "group\tsleep\tsleep_lo\tsleep_hi\tspin\tspin_lo\tspin_hi\t"
			 "yield\tyield_lo\tyield_hi\n"
			 "\"a k=0\"\tNaN\tNaN\tNaN\t0\t0\t0\t0.5\t0.5\t0.5\n"
			 "\"b k=0\"\t1\t1\t1\tNaN\tNaN\tNaN\tNaN\tNaN\tNaN\n"
			 "\"c k=0\"\tNaN\tNaN\tNaN\t1\t1\t1\tNaN\tNaN\tNaN\n");

	cr_assert_str_eq(plot_slurp(run, "fam-cdf.dat"), "10\t0.25\n20\t1\n");
	cr_assert(strstr(plot_slurp(run, "fam-cdf.png"), "nseries=1 npanels=1"));
	cli_rmdir(dir);
}

/*
 * The pivot options the charts above leave out, each with its answer
 * worked out by hand: series=stat (the metric's last word: p50 of
 * set_wake_p50, not wake_p50), x= a parameter (its values in order, 0
 * before 100), metric=a|b (exactly those two: "latency" matches
 * neither), label= (named in every label even where it does not
 * vary).
 */
Test(plot, every_pivot_option_has_a_known_answer, .timeout = 60)
{
	static const char results[] =
		"run_id,bench,mode,placement,threads,params,metric,unit,median,ci95_lo,ci95_hi\n"
		"r1,g.a,thread,none,1,k=100;policy=yield,set_wake_p50,ns,20,19,21\n"
		"r1,g.a,thread,none,1,k=0;policy=yield,set_wake_p50,ns,10,9,11\n"
		"r1,g.a,thread,none,1,k=0;policy=yield,set_wake_p99,ns,40,39,41\n"
		"r1,g.a,thread,none,1,k=100;policy=yield,set_wake_p99,ns,80,79,81\n"
		"r1,g.a,thread,none,1,k=0;policy=yield,tput,ops/s,7,6,8\n"
		"r1,g.a,thread,none,1,k=0;policy=yield,lat,ns,3,2,4\n"
		"r1,g.a,thread,none,1,k=0;policy=yield,latency,ns,1,1,1\n"
		"r1,g.b,thread,none,1,k=0;policy=yield,tput,ops/s,5,5,5\n";
	static struct cli_run r;
	char dir[64], run[128], scripts[128], path[192];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(run, sizeof(run), "%s/run", dir);
	snprintf(scripts, sizeof(scripts), "%s/plots", dir);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(mkdir(scripts, 0755), 0);
	snprintf(path, sizeof(path), "%s/results.csv", run);
	cli_write_str(path, results);
	plot_script(scripts, "g-stat", "chart=lines metric=set_wake_* x=k series=stat");
	plot_script(scripts, "g-ab", "metric=tput|lat group=bench series=metric where=k:0");
	plot_script(scripts, "g-label", "metric=tput group=bench series=threads label=policy,mode");
	setenv("CONTEND_PLOTS_DIR", scripts, 1);
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);

	cr_assert_str_eq(plot_slurp(run, "g-stat.dat"),
			 "0\t10\t9\t11\n100\t20\t19\t21\n"		/* p50 against k */
			 "\n\n0\t40\t39\t41\n100\t80\t79\t81\n");	/* p99 */
	cr_assert(strstr(plot_slurp(run, "g-stat.png"), "\n\"p50\" \"p99\"\n"), "%s",
		  plot_slurp(run, "g-stat.png"));
	cr_assert_str_eq(plot_slurp(run, "g-ab.dat"),
			 "group\tlat\tlat_lo\tlat_hi\ttput\ttput_lo\ttput_hi\n"
			 "\"a\"\t3\t2\t4\t7\t6\t8\n"
			 "\"b\"\tNaN\tNaN\tNaN\t5\t5\t5\n");
	cr_assert_str_eq(plot_slurp(run, "g-label.dat"),
			 "group\t1\t1_lo\t1_hi\n"
			 "\"a thread policy=yield\"\t7\t6\t8\n"
			 "\"b thread policy=yield\"\t5\t5\t5\n");
	unsetenv("CONTEND_PLOTS_DIR");
	cli_rmdir(dir);
}

Test(plot, a_bad_spec_is_named, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], path[192];

	cli_tmpdir(dir, sizeof(dir));
	snprintf(path, sizeof(path), "%s/results.csv", dir);
	cli_write_str(path, plot_results);
	plot_script(dir, "fam", "chart=pie metric=tput");
	setenv("CONTEND_PLOTS_DIR", dir, 1);
	CLI(&r, "plot", dir);
	cr_assert_eq(r.status, 1, "%s", r.err);
	cr_assert(strstr(r.err, "fam.gp") && strstr(r.err, "# contend:"), "%s", r.err);
	cli_rmdir(dir);
}

/* A run folder of plot_results (and plot_hist, unless hist is NULL) in
 * dir/run, its charts in dir/plots; the run's path into run. */
static void plot_folder(const char *dir, const char *results, const char *hist, char *run,
			size_t len)
{
	char path[256];

	snprintf(run, len, "%s/run", dir);
	snprintf(path, sizeof(path), "%s/plots", dir);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(mkdir(path, 0755), 0);
	setenv("CONTEND_PLOTS_DIR", path, 1);
	snprintf(path, sizeof(path), "%s/results.csv", run);
	cli_write_str(path, results);
	if (hist) {
		snprintf(path, sizeof(path), "%s/histograms.csv", run);
		cli_write_str(path, hist);
	}
}

/* SIGTERM or Ctrl-C while gnuplot draws: gnuplot is stopped, no image is
 * left half made, and plot says so and exits 128 + the signal (it used
 * to ignore SIGTERM and draw on). */
Test(plot, a_stop_signal_stops_it, .timeout = 60)
{
	static const int sigs[] = { SIGTERM, SIGINT, SIGHUP };

	for (int i = 0; i < 3; i++) {
		static struct cli_run r;
		char dir[64], run[128], path[256];
		struct cli_how how = { .sig = sigs[i], .after_ms = 300 };
		struct stat st;

		cli_tmpdir(dir, sizeof(dir));
		plot_folder(dir, plot_results, NULL, run, sizeof(run));
		/* (in name order: fam-a, then fam-z) */
		snprintf(path, sizeof(path), "%s/plots/fam-a.gp", dir);
		cli_write_str(path, "# contend: metric=tput group=bench series=threads\n"
				    "set print '-'\npause 100\nprint 'drawn'\n");
		snprintf(path, sizeof(path), "%s/plots/fam-z.gp", dir);
		cli_write_str(path, "# contend: metric=tput group=bench series=threads\n"
				    "set print '-'\nprint 'drawn'\n");
		CLI_HOW(&r, &how, "plot", run);
		cr_assert_eq(r.status, 128 + sigs[i], "signal %d: status %d: %s", sigs[i], r.status,
			     r.err);
		cr_assert(strstr(r.err, "stopped by"), "%s", r.err);
		cr_assert_eq(cli_lines(r.err), 1, "%s", r.err);
		cli_expect_no_temp(run);
		snprintf(path, sizeof(path), "%s/fam-a.png", run);
		cr_assert_neq(stat(path, &st), 0, "an image of a stopped chart");
		snprintf(path, sizeof(path), "%s/fam-z.png", run);
		cr_assert_neq(stat(path, &st), 0, "a chart drawn after the stop");
		cli_rmdir(dir);
	}
}

/* A damaged histograms.csv or a value that is not a number is bad input:
 * FILE:LINE, exit 2, nothing drawn (it used to be a notice and exit 0). */
Test(plot, damaged_data_is_bad_input, .timeout = 60)
{
	static const char hist_head[] =
		"run_id,bench,mode,placement,threads,params,metric,bucket_lo_ns,bucket_hi_ns,"
		"count\n";
	static const struct {
		const char *results, *hist, *needle;
	} cases[] = {
		/* cut in the middle of a row */
		{ plot_results, "run_id,bench,mode,placement,threads,params,metric,bucket_lo_ns,"
				"bucket_hi_ns,count\nr1,fam.a,thread,none,2,k=0,wait,5,5,7\n"
				"r1,fam.a,thread,none,1,k=0,wa", "histograms.csv:3:" },
		/* garbage */
		{ plot_results, "\x89PNG\r\n\x1a\n\x01\x02,\x03\"\x04\n", "histograms.csv:" },
		/* a count that is not a number, a negative or fractional count */
		{ plot_results, NULL, "histograms.csv:3: count 'many'" },
		{ plot_results, NULL, "histograms.csv:3: count '-3'" },
		{ plot_results, NULL, "histograms.csv:3: count '2.5'" },
		/* a bucket edge that is not a number */
		{ plot_results, NULL, "histograms.csv:3: bucket_hi_ns 'x'" },
		/* a median that is not a number */
		{ "run_id,bench,mode,placement,threads,params,metric,unit,median,ci95_lo,ci95_hi\n"
		  "r1,fam.a,thread,none,1,k=0,tput,ops/s,100,90,110\n"
		  "r1,fam.a,thread,none,2,k=0,tput,ops/s,fast,45,55\n", "", "results.csv:3: median" },
		{ "run_id,bench,mode,placement,threads,params,metric,unit,median,ci95_lo,ci95_hi\n"
		  "r1,fam.a,thread,none,1,k=0,tput,ops/s,100,90,1e999\n", "", "results.csv:2: ci95_hi" },
	};
	static const char *const rows[] = { "many", "-3", "2.5" };

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		static struct cli_run r;
		char dir[64], run[128], hist[512];

		if (!cases[i].hist && i < 5)
			snprintf(hist, sizeof(hist), "%sr1,fam.a,thread,none,2,k=0,wait,5,5,7\n"
				 "r1,fam.a,thread,none,1,k=0,wait,0,10,%s\n", hist_head, rows[i - 2]);
		else if (!cases[i].hist)
			snprintf(hist, sizeof(hist), "%sr1,fam.a,thread,none,2,k=0,wait,5,5,7\n"
				 "r1,fam.a,thread,none,1,k=0,wait,0,x,1\n", hist_head);
		else
			snprintf(hist, sizeof(hist), "%s", cases[i].hist[0] ? cases[i].hist : plot_hist);
		cli_tmpdir(dir, sizeof(dir));
		plot_folder(dir, cases[i].results, hist, run, sizeof(run));
		plot_script(dir, "plots/fam", "metric=tput group=bench series=threads");
		plot_script(dir, "plots/fam-cdf", "chart=cdf metric=wait");
		CLI(&r, "plot", run);
		cli_expect_bad(&r, cases[i].needle);
		cr_assert_eq(cli_count_files(run), 2, "case %zu: charts drawn from bad data", i);
		cli_rmdir(dir);
	}
}

/* A run swept with --counters none has no counter columns: a chart of
 * one is a notice and no chart, the others are drawn, exit 0 (it was
 * exit 1). */
Test(plot, a_chart_of_a_counter_not_counted_is_a_notice, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128];

	cli_tmpdir(dir, sizeof(dir));
	plot_folder(dir, "run_id,bench,mode,placement,threads,params,metric,unit,median,ci95_lo,"
			 "ci95_hi\nr1,fam.a,thread,none,1,k=0,tput,ops/s,100,90,110\n", NULL, run,
		    sizeof(run));
	plot_script(dir, "plots/fam", "metric=tput group=bench series=threads");
	plot_script(dir, "plots/fam-switches", "metric=tput column=ctx_switches_per_op "
					       "group=bench series=threads");
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert(strstr(r.err, "notice: fam-switches") && strstr(r.err, "ctx_switches_per_op"),
		  "%s", r.err);
	cr_assert(strstr(r.out, "fam.png"), "%s", r.out);
	cli_rmdir(dir);
}

/* Where the charts cannot go (a dangling link or a folder at a chart's
 * path, a read-only folder): one line naming it, exit 2, before any
 * chart is drawn.  The link was reported as "gnuplot is not installed";
 * the read-only folder as seven lines after the first charts. */
Test(plot, charts_that_cannot_be_written_are_refused_first, .timeout = 60)
{
	static const char *const what[] = { "link", "folder", "read-only" };

	for (int i = 0; i < 3; i++) {
		static struct cli_run r;
		char dir[64], run[256], path[512];

		cli_tmpdir(dir, sizeof(dir));
		plot_folder(dir, plot_results, plot_hist, run, sizeof(run));
		plot_script(dir, "plots/fam", "metric=tput group=bench series=threads");
		plot_script(dir, "plots/fam-z", "metric=tput group=bench series=threads");
		snprintf(path, sizeof(path), "%s/fam-z.png", run);
		if (i == 0) {
			cr_assert_eq(symlink("/nonexistent/contend-chart.png", path), 0);
		} else if (i == 1) {
			cr_assert_eq(mkdir(path, 0755), 0);
		} else {
			char tmp[128];

			snprintf(tmp, sizeof(tmp), "%s/ro", dir);
			cr_assert_eq(mkdir(tmp, 0755), 0);
			if (mount("tmpfs", tmp, "tmpfs", 0, "size=64k") < 0) {
				cr_log_warn("cannot mount a tmpfs (%s): read-only not checked",
					    strerror(errno));
				cli_rmdir(dir);
				continue;
			}
			snprintf(path, sizeof(path), "%s/results.csv", tmp);
			cli_write_str(path, plot_results);
			cr_assert_eq(mount(NULL, tmp, NULL, MS_REMOUNT | MS_RDONLY, NULL), 0);
			snprintf(run, sizeof(run), "%s", tmp);
		}
		CLI(&r, "plot", run);
		cli_expect_bad(&r, i == 0 ? "fam-z.png is a link to nothing" :
			       i == 1 ? "fam-z.png is a folder" : "cannot write charts into");
		cr_assert(!strstr(r.err, "gnuplot"), "%s: %s", what[i], r.err);
		snprintf(path, sizeof(path), "%s/fam.dat", run);
		cr_assert_neq(access(path, F_OK), 0, "%s: a chart drawn before the refusal", what[i]);
		if (i == 2)
			umount(run);
		cli_rmdir(dir);
	}
}

/* A run folder dir/run holding results (and an env.csv of 8 processors),
 * and an empty dir/plots for chart scripts, which plot is pointed at. */
static void plot_fixture(char *dir, size_t dlen, char *run, char *scripts, size_t len,
			 const char *results)
{
	char path[192];

	cli_tmpdir(dir, dlen);
	snprintf(run, len, "%s/run", dir);
	snprintf(scripts, len, "%s/plots", dir);
	cr_assert_eq(mkdir(run, 0755), 0);
	cr_assert_eq(mkdir(scripts, 0755), 0);
	snprintf(path, sizeof(path), "%s/results.csv", run);
	cli_write_str(path, results);
	snprintf(path, sizeof(path), "%s/env.csv", run);
	cli_write_str(path, "key,value\ncpu_model,Test CPU\npus,8\n");
	setenv("CONTEND_PLOTS_DIR", scripts, 1);
}

/*
 * Each chart gives back the descriptors it took: 40 charts, each drawn
 * as PNG and SVG, under a limit of 24 open files (a descriptor kept per
 * drawing would run out halfway).
 */
Test(plot, every_chart_gives_back_its_descriptors, .timeout = 120)
{
	static struct cli_run r;
	char dir[64], run[128], scripts[128], name[32];
	struct rlimit lim, low;

	plot_fixture(dir, sizeof(dir), run, scripts, sizeof(run), plot_results);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "fam-%02d", i);
		plot_script(scripts, name, "chart=lines metric=tput x=threads where=mode:thread");
	}
	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &lim), 0);
	low = lim;
	low.rlim_cur = 24;
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &low), 0);
	CLI(&r, "plot", run);
	cr_assert_eq(setrlimit(RLIMIT_NOFILE, &lim), 0);
	cr_assert_eq(r.status, 0, "%s", r.err);
	for (int i = 0; i < 40; i++) {
		snprintf(name, sizeof(name), "fam-%02d.svg", i);
		cr_assert(strstr(plot_slurp(run, name), "nseries="), "%s", name);
	}
	cli_rmdir(dir);
}

/*
 * A line chart draws a line per configuration: rows that differ only in
 * their placement (bars' default group, which a line chart does not
 * draw) are two lines, each label naming its placement.
 */
Test(plot, lines_keep_placements_apart, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128], scripts[128], path[192];

	plot_fixture(dir, sizeof(dir), run, scripts, sizeof(run),
		     "run_id,bench,mode,placement,threads,params,metric,unit,median,ci95_lo,ci95_hi\n"
		     "r1,fam.a,thread,compact,1,k=0,tput,ops/s,100,90,110\n"
		     "r1,fam.a,thread,compact,2,k=0,tput,ops/s,50,45,55\n"
		     "r1,fam.a,thread,same-core,1,k=0,tput,ops/s,99,89,109\n"
		     "r1,fam.a,thread,same-core,2,k=0,tput,ops/s,20,18,22\n");
	plot_script(scripts, "fam", "chart=lines metric=tput x=threads");
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(plot_slurp(run, "fam.dat"), "1\t100\t90\t110\n2\t50\t45\t55\n"
						     "\n\n1\t99\t89\t109\n2\t20\t18\t22\n");
	cr_assert_str_eq(plot_slurp(run, "fam.png"), "nseries=2 npanels=1 ncpus=8 unit=ops/s\n"
						     "\"a compact\" \"a same-core\"\n\"\"\n\"0 1\"\n");
	/* A benchmark's name without its family keeps the rest of its
	 * dots: fam.x.live and fam.y.live are two lines, not one "live". */
	snprintf(path, sizeof(path), "%s/results.csv", run);
	cli_write_str(path, "run_id,bench,mode,placement,threads,params,metric,unit,median,"
			    "ci95_lo,ci95_hi\n"
			    "r1,fam.x.live,thread,none,1,k=0,tput,ops/s,100,90,110\n"
			    "r1,fam.y.live,thread,none,1,k=0,tput,ops/s,50,45,55\n");
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(plot_slurp(run, "fam.png"), "nseries=2 npanels=1 ncpus=8 unit=ops/s\n"
						     "\"x.live\" \"y.live\"\n\"\"\n\"0 1\"\n");
	cli_rmdir(dir);
}

/*
 * Labels that are numbers sort as numbers (2 before 16, as a lock chart's
 * task counts must), in bars' series and in lines' x; a task count that
 * varies without being an axis names each line "tasks=N", also in the
 * order of the numbers; and on a log scale a value <= 0 has no place:
 * left out of its line, and said so.
 */
Test(plot, numbers_sort_as_numbers_and_tasks_label_lines, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128], scripts[128];

	plot_fixture(dir, sizeof(dir), run, scripts, sizeof(run),
		     "run_id,bench,mode,placement,threads,params,metric,unit,median,ci95_lo,ci95_hi\n"
		     "r1,fam.a,thread,none,16,k=0,tput,ops/s,9,8,10\n"
		     "r1,fam.a,thread,none,2,k=0,tput,ops/s,50,45,55\n"
		     "r1,fam.a,thread,none,2,k=100,tput,ops/s,40,35,45\n"
		     "r1,fam.a,thread,none,16,k=100,tput,ops/s,0,0,0\n");
	plot_script(scripts, "fam", "chart=bars metric=tput group=bench series=threads "
				    "where=k:0");
	plot_script(scripts, "fam-k", "chart=lines metric=tput x=k");
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(plot_slurp(run, "fam.dat"),
			 "group\t2\t2_lo\t2_hi\t16\t16_lo\t16_hi\n"
			 "\"a\"\t50\t45\t55\t9\t8\t10\n");
	cr_assert_str_eq(plot_slurp(run, "fam.png"), "nseries=2 npanels=1 ncpus=8 unit=ops/s\n"
						     "\"2\" \"16\"\n\"a\"\n\"0 1\"\n");
	cr_assert_str_eq(plot_slurp(run, "fam-k.dat"),
			 "0\t50\t45\t55\n100\t40\t35\t45\n"		/* tasks=2 */
			 "\n\n0\t9\t8\t10\n");	/* tasks=16, its 0 left out */
	cr_assert_str_eq(plot_slurp(run, "fam-k.png"), "nseries=2 npanels=1 ncpus=8 unit=ops/s\n"
						       "\"a tasks=2\" \"a tasks=16\"\n\"\"\n\"0 1\"\n");
	cr_assert(strstr(r.err, "fam-k: 1 values <= 0 left out of the log-scale chart"), "%s",
		  r.err);
	cr_assert_null(strstr(r.err, "fam: "), "%s", r.err);
	cli_rmdir(dir);
}

/*
 * What else a chart script is given: the groups (each benchmark and the
 * policy that varies within one) and their count, the
 * format it draws (png, then svg, each file its own), the run id as the
 * subtitle and the processor model as the machine.
 */
Test(plot, every_variable_reaches_the_script, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128], scripts[128], path[192];

	plot_fixture(dir, sizeof(dir), run, scripts, sizeof(run), plot_results);
	snprintf(path, sizeof(path), "%s/fam.gp", scripts);
	cli_write_str(path, "# contend: chart=bars metric=tput group=bench series=threads "
			    "where=mode:thread,k:0\n"
			    "set print '-'\n"
			    "print sprintf('ngroups=%d fmt=%s', ngroups, fmt)\n"
			    "print groups\n"
			    "print subtitle\n"
			    "print machine\n");
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	cr_assert_str_eq(plot_slurp(run, "fam.png"),
			 "ngroups=4 fmt=png\n"
			 "\"a policy=spin\" \"a policy=yield\" \"b policy=sleep\" \"c policy=spin\"\n"
			 "r1\nTest CPU\n");
	cr_assert_str_eq(plot_slurp(run, "fam.svg"),
			 "ngroups=4 fmt=svg\n"
			 "\"a policy=spin\" \"a policy=yield\" \"b policy=sleep\" \"c policy=spin\"\n"
			 "r1\nTest CPU\n");
	cli_rmdir(dir);
}

/* The page's counters table: for each counter, how many of the rows have
 * a value in its column (8 of the fixture's 9: one empty cell), or that
 * results.csv has no such column. */
Test(plot, the_page_counts_each_counters_cells, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128], scripts[128];
	const char *page;

	plot_fixture(dir, sizeof(dir), run, scripts, sizeof(run), plot_results);
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	page = plot_slurp(run, "index.html");
	cr_assert(strstr(page, "<tr><td>context-switches</td><td>ctx_switches_per_op</td>"
			       "<td class=\"n\">8 of 9</td>"), "%s", page);
	cr_assert(strstr(page, "<tr><td>cycles</td><td>cycles_per_op</td>"
			       "<td>not in results.csv</td>"), "%s", page);
	cli_rmdir(dir);
}

/* A chart of a counter column reads that column's cells as numbers too:
 * one that is not is bad input, FILE:LINE and the column, nothing drawn
 * (strtod would have read it as 0). */
Test(plot, a_counter_cell_that_is_not_a_number_is_bad_input, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128];

	cli_tmpdir(dir, sizeof(dir));
	plot_folder(dir, "run_id,bench,mode,placement,threads,params,metric,unit,median,ci95_lo,"
			 "ci95_hi,ctx_switches_per_op\n"
			 "r1,fam.a,thread,none,1,k=0,tput,ops/s,100,90,110,lots\n", NULL, run,
		    sizeof(run));
	plot_script(dir, "plots/fam-switches", "metric=tput column=ctx_switches_per_op "
					       "group=bench series=threads");
	CLI(&r, "plot", run);
	cli_expect_bad(&r, "results.csv:2: ctx_switches_per_op 'lots' is not a number");
	cr_assert_eq(cli_count_files(run), 1, "a chart drawn from bad data");
	cli_rmdir(dir);
}

/*
 * A chart whose script draws nothing, or that gnuplot refuses, is named
 * (which script, which format), leaves no image behind, is not on the
 * page, and makes plot's status 1; the charts that drew are kept.
 */
Test(plot, a_chart_gnuplot_fails_on_is_named_and_left_out, .timeout = 60)
{
	static struct cli_run r;
	char dir[64], run[128], scripts[128], path[256], want[256];
	struct stat sb;
	char *page;

	plot_fixture(dir, sizeof(dir), run, scripts, sizeof(run), plot_results);
	plot_script(scripts, "fam", "metric=tput group=bench series=threads");
	snprintf(path, sizeof(path), "%s/fam-bad.gp", scripts);
	cli_write_str(path, "# contend: metric=tput group=bench series=threads\n");
	snprintf(path, sizeof(path), "%s/fam-err.gp", scripts);
	cli_write_str(path, "# contend: metric=tput group=bench series=threads\nnot gnuplot\n");
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 1, "%s", r.err);
	for (int k = 0; k < 2; k++) {
		const char *name = k ? "fam-err" : "fam-bad";

		snprintf(want, sizeof(want), "contend: gnuplot failed on %s/%s.gp (png)", scripts,
			 name);
		cr_assert(strstr(r.err, want), "want %s: %s", want, r.err);
		snprintf(path, sizeof(path), "%s/%s.png", run, name);
		cr_assert(stat(path, &sb) < 0, "%s left behind", path);
		snprintf(path, sizeof(path), "%s/%s.svg", run, name);
		cr_assert(stat(path, &sb) < 0, "%s left behind", path);
	}
	snprintf(path, sizeof(path), "%s/fam.png", run);
	cr_assert_eq(stat(path, &sb), 0, "the chart that drew is gone");
	snprintf(path, sizeof(path), "%s/index.html", run);
	page = cli_read_file(path);
	cr_assert(strstr(page, "<h2 id=\"chart-fam\">"), "the chart that drew is not on the page");
	cr_assert_null(strstr(page, "chart-fam-bad"), "a chart that failed is on the page");
	cr_assert_null(strstr(page, "chart-fam-err"), "a chart that failed is on the page");
	free(page);
	cli_expect_no_temp(run);
	cli_rmdir(dir);
}

/*
 * The page names its run in its title and heading, and lists under each
 * chart the rows it was drawn from: how many, task counts in numeric
 * order (2 before 10), at most 400 of them, and how many more are in
 * results.csv.
 */
Test(plot, the_page_lists_a_charts_rows_in_order, .timeout = 60)
{
	static struct cli_run r;
	static char results[64 << 10];
	char dir[64], run[128], scripts[128];
	const char *page, *two, *ten;
	size_t off;

	off = (size_t)snprintf(results, sizeof(results), "run_id,bench,mode,placement,threads,"
			       "params,metric,unit,median,ci95_lo,ci95_hi\n");
	for (int n = 401; n >= 1; n--)
		off += (size_t)snprintf(results + off, sizeof(results) - off,
					"r7,fam.a,thread,none,%d,k=0,tput,ops/s,%d,%d,%d\n", n,
					1000 + n, 999 + n, 1001 + n);
	plot_fixture(dir, sizeof(dir), run, scripts, sizeof(run), results);
	plot_script(scripts, "fam", "chart=lines metric=tput x=threads");
	CLI(&r, "plot", run);
	cr_assert_eq(r.status, 0, "%s", r.err);
	page = plot_slurp(run, "index.html");
	cr_assert(strstr(page, "<title>contend: r7</title>"), "no title");
	cr_assert(strstr(page, "<h1>contend run r7</h1>"), "no heading");
	cr_assert(strstr(page, "<summary>the 401 rows of results.csv it was drawn from</summary>"),
		  "the count of rows");
	cr_assert(strstr(page, "<p class=\"note\">1 more rows are in results.csv.</p>"),
		  "the rows past 400");
	two = strstr(page, "<td>none</td><td class=\"n\">2</td>");
	ten = strstr(page, "<td>none</td><td class=\"n\">10</td>");
	cr_assert(two && ten && two < ten, "task counts not in numeric order");
	cr_assert_null(strstr(page, "<td class=\"n\">401</td>"), "the 401st row listed");
	cr_assert(strstr(page, "<td class=\"n\">400</td>"), "the 400th row not listed");
	cli_rmdir(dir);
}
