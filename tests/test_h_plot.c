/*
 * tests/test_h_plot.c - what `contend plot` hands gnuplot: the rows a
 * chart's `# contend:` line selects, pivoted as harness/plot.h says,
 * and the labels.  The charts here are test scripts (CONTEND_PLOTS_DIR)
 * that print gnuplot's variables instead of drawing, so the "image" is
 * text to compare; the data file is compared byte for byte against a
 * hand-made pivot of a hand-made results.csv and histograms.csv.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

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
	static char buf[8192];
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
