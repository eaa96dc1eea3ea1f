/*
 * harness/plot_page.c - DIR/index.html: the lesson's verdicts, the
 * machine, and every chart with its caption and rows.  See plot_page.h.
 * The page is built in memory and published whole through an outfile;
 * so is the topology picture, read from lstopo's standard output.
 */
#define _GNU_SOURCE		/* open_memstream, pipe2, qsort_r */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness/counters.h"
#include "harness/lesson.h"
#include "harness/outfile.h"
#include "harness/parse.h"
#include "harness/plot_page.h"
#include "harness/plot_pivot.h"

/* A chart's table shows at most this many rows (a lock chart of a full
 * sweep selects a few hundred); the rest are in results.csv. */
#define PAGE_MAX_ROWS 400
/* Hosts a merged folder's machine section has a column for. */
#define PAGE_MAX_HOSTS 32

static const char *const page_files[] = { "index.html", "topology.png" };

int plot_page_check(const char *dir)
{
	for (size_t k = 0; k < sizeof(page_files) / sizeof(page_files[0]); k++) {
		char path[PATH_MAX + 32], shown[PATH_MAX * 2];
		struct outfile *w;

		snprintf(path, sizeof(path), "%.*s/%s", PATH_MAX - 32, dir, page_files[k]);
		if ((w = outfile_open(path))) {
			outfile_abort(w);
			continue;
		}
		parse_escape(path, shown, sizeof(shown));
		fprintf(stderr, "contend: plot: cannot write %s: %s (remove what is there, or make "
			"the folder writable)\n", shown, strerror(errno));
		return -1;
	}
	return 0;
}

/* s as HTML text (also fit for a quoted attribute). */
static void page_esc(FILE *f, const char *s)
{
	for (; *s; s++) {
		switch (*s) {
		case '<': fputs("&lt;", f); break;
		case '>': fputs("&gt;", f); break;
		case '&': fputs("&amp;", f); break;
		case '"': fputs("&quot;", f); break;
		case '\'': fputs("&#39;", f); break;
		default: fputc(*s, f);
		}
	}
}

int plot_page_caption(const char *script, char *buf, size_t len)
{
	FILE *f = fopen(script, "r");
	char line[1024];
	size_t off = 0;

	buf[0] = '\0';
	if (!f)
		return -1;
	while (fgets(line, sizeof(line), f)) {
		const char *p = line + strspn(line, " \t");

		if (strncmp(p, "# caption:", 10))
			continue;
		p += 10;
		p += strspn(p, " \t");
		line[strcspn(line, "\r\n")] = '\0';
		if (off < len)
			off += (size_t)snprintf(buf + off, len - off, "%s%s", off ? " " : "", p);
	}
	fclose(f);
	return buf[0] ? 0 : -1;
}

/* The value of key in env.csv's table e, or NULL. */
/* env.csv's value of key (for host, in a merged folder's; NULL: any). */
static const char *page_env_of(const struct csv_table *e, const char *host, const char *key)
{
	int k = csv_table_col(e, "key"), v = csv_table_col(e, "value");
	int h = csv_table_col(e, "host");

	for (size_t r = 0; k >= 0 && v >= 0 && r < e->nrows; r++)
		if (!strcmp(e->rows[r][k], key) && (!host || h < 0 || !strcmp(e->rows[r][h], host)))
			return e->rows[r][v];
	return NULL;
}

static const char *page_env(const struct csv_table *e, const char *key)
{
	return page_env_of(e, NULL, key);
}

/* The merged folder's hosts (contend merge's host column), in the order
 * they first appear; how many, at most max. */
static size_t page_hosts(const struct csv_table *e, const char **hosts, size_t max)
{
	int h = csv_table_col(e, "host");
	size_t n = 0;

	for (size_t r = 0; h >= 0 && r < e->nrows; r++) {
		size_t i = 0;

		while (i < n && strcmp(hosts[i], e->rows[r][h]))
			i++;
		if (i == n && n < max)
			hosts[n++] = e->rows[r][h];
	}
	return n;
}

/*
 * Run lstopo with its PNG on standard output into DIR/topology.png,
 * published whole.  0, or -1 with why (in words) in why.
 */
static int page_lstopo(const char *dir, char *why, size_t len)
{
	char path[PATH_MAX + 32], buf[65536];
	struct outfile *w;
	size_t total = 0;
	int fds[2], status, ret;
	pid_t pid;
	ssize_t n;

	snprintf(path, sizeof(path), "%.*s/topology.png", PATH_MAX - 32, dir);
	if (pipe2(fds, O_CLOEXEC) < 0) {
		snprintf(why, len, "no pipe for lstopo: %s", strerror(errno));
		return -1;
	}
	pid = fork();
	if (pid < 0) {
		snprintf(why, len, "cannot start lstopo: %s", strerror(errno));
		close(fds[0]);
		close(fds[1]);
		return -1;
	}
	if (pid == 0) {
		int null = open("/dev/null", O_WRONLY);

		dup2(fds[1], 1);
		if (null >= 0)
			dup2(null, 2);
		execlp("lstopo", "lstopo", "--of", "png", "-", (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	w = outfile_open(path);
	while ((n = read(fds[0], buf, sizeof(buf))) > 0 || (n < 0 && errno == EINTR))
		if (n > 0 && w) {
			outfile_write(w, buf, (size_t)n);
			total += (size_t)n;
		}
	close(fds[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	if (!w) {
		snprintf(why, len, "cannot write topology.png: %s", strerror(errno));
		return -1;
	}
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 || total == 0) {
		outfile_abort(w);
		if (WIFEXITED(status) && WEXITSTATUS(status) == 127)
			snprintf(why, len, "lstopo is not installed here (Debian's hwloc package; "
				 "scripts/install-deps installs it)");
		else
			snprintf(why, len, "lstopo failed (run 'lstopo --of png -' to see why)");
		return -1;
	}
	if ((ret = outfile_commit(w)) < 0) {
		snprintf(why, len, "cannot write topology.png: %s", strerror(-ret));
		return -1;
	}
	return 0;
}

/* The page's style: one block, no fonts or anything else fetched. */
static const char page_css[] =
	"body{font-family:sans-serif;max-width:70em;margin:1em auto;padding:0 1em;color:#222}"
	"h1{font-size:1.5em}h2{font-size:1.25em;border-bottom:1px solid #ccc;margin-top:2em}"
	"table{border-collapse:collapse;font-size:.85em;margin:.5em 0}"
	"td,th{border:1px solid #ccc;padding:.2em .5em;text-align:left;vertical-align:top}"
	"th{background:#f3f3f3}td.n{text-align:right;font-variant-numeric:tabular-nums}"
	".holds{background:#dff3df}.fails{background:#f8dcdc}.unmeasured{background:#eee;color:#555}"
	".rows{overflow-x:auto}figure{margin:1em 0}figure img{max-width:100%;border:1px solid #ddd}"
	"figcaption{margin:.4em 0;max-width:60em}.note{color:#555}"
	"#pictures{color:#555;font-size:.85em}#pictures.bad{color:#b00;font-weight:bold}";

/* Counts the pictures that did not load (naturalWidth 0), marks them,
 * and says so at the foot of the page: for a reader and for the test
 * that opens the page in a headless browser. */
static const char page_js[] =
	"window.addEventListener('load',function(){"
	"var im=document.images,bad=[];"
	"for(var i=0;i<im.length;i++)if(!im[i].complete||im[i].naturalWidth===0){"
	"bad.push(im[i].getAttribute('src'));im[i].className+=' broken';}"
	"var p=document.getElementById('pictures');"
	"p.setAttribute('data-pictures',im.length);p.setAttribute('data-broken',bad.length);"
	"if(bad.length)p.className='bad';"
	"p.textContent=bad.length?bad.length+' of '+im.length+' pictures did not load: '+"
	"bad.join(', '):'all '+im.length+' pictures loaded';});";

static void page_verdicts(FILE *f, const struct csv_table *t, int ncpus, FILE *say)
{
	static const char *const cls[] = { "holds", "fails", "unmeasured" };
	struct lesson_verdict *v = calloc((size_t)lesson_nrules, sizeof(*v));
	int held, counts[3] = { 0, 0, 0 };

	if (!v) {
		fputs("<p class=\"note\">Out of memory: the lesson was not checked.</p>\n", f);
		return;
	}
	held = lesson_check(t, ncpus, v);
	fputs("<h2 id=\"lesson\">The lesson, checked on this machine</h2>\n"
	      "<p class=\"note\">Each claim of the lesson, judged by a rule over this run's "
	      "results.csv (harness/lesson.c): the rows that test it, and what they say.</p>\n"
	      "<table class=\"verdicts\">\n<tr><th>claim</th><th>verdict</th><th>figures</th>"
	      "<th>rows</th></tr>\n", f);
	for (int i = 0; i < lesson_nrules; i++) {
		const struct lesson_rule *r = &lesson_rules[i];

		counts[v[i].state]++;
		fprintf(f, "<tr id=\"claim-%s\" class=\"%s\"><td>", r->id, cls[v[i].state]);
		page_esc(f, r->claim);
		fprintf(f, "</td><td>%s</td><td>", lesson_state_name(v[i].state));
		page_esc(f, v[i].figures);
		fputs("</td><td>", f);
		page_esc(f, r->rows);
		fputs("</td></tr>\n", f);
		if (say)
			fprintf(say, "contend: lesson: %-10s %s: %s\n", cls[v[i].state], r->id,
				v[i].figures);
	}
	fputs("</table>\n", f);
	if (say)
		fprintf(say, "contend: lesson: %d of %d claims hold here, %d do not, %d not "
			"measured in this run\n", held, lesson_nrules, counts[LESSON_FAILS],
			counts[LESSON_UNMEASURED]);
	free(v);
}

/* The counters: which columns have values, and why not (probed now,
 * when this is the machine that made the run). */
static void page_counters(FILE *f, const struct csv_table *t, int same_host)
{
	static char why[CTR_MAX][CTR_NAME_MAX * 2];
	struct ctr_set set;
	char err[256];
	int probed = 0;

	if (ctr_parse(CTR_DEFAULT, &set, err, sizeof(err)) < 0) {
		fputs("<p class=\"note\">The counters could not be named here: ", f);
		page_esc(f, err);
		fputs("</p>\n", f);
		return;
	}
	if (same_host) {
		ctr_probe(&set, why);
		probed = 1;
	}
	fputs("<table>\n<tr><th>counter</th><th>column</th><th>rows with a value</th>"
	      "<th>why not</th></tr>\n", f);
	for (int i = 0; i < set.n; i++) {
		int col = csv_table_col(t, set.column[i]);
		size_t have = 0;

		for (size_t r = 0; col >= 0 && r < t->nrows; r++)
			have += t->rows[r][col][0] != '\0';
		fputs("<tr><td>", f);
		page_esc(f, set.name[i]);
		fputs("</td><td>", f);
		page_esc(f, set.column[i]);
		if (col < 0)
			fputs("</td><td>not in results.csv</td><td>", f);
		else
			fprintf(f, "</td><td class=\"n\">%zu of %zu</td><td>", have, t->nrows);
		if (probed && why[i][0])
			page_esc(f, why[i]);
		else if (probed)
			fputs(have ? "" : "it opens here now; the rows that lack it did not count it", f);
		else if (!have)
			fputs("(not probed: contend plot runs on another machine than the run)", f);
		fputs("</td></tr>\n", f);
	}
	fputs("</table>\n", f);
	if (probed)
		fputs("<p class=\"note\">Why not: probed by <code>contend plot</code> on the machine "
		      "that made the run (as <code>contend env</code> does). An empty cell of "
		      "results.csv is a figure that could not be counted, never a zero.</p>\n", f);
}

/* What the machine section shows of env.csv, in this order. */
static const char *const page_shown[] = {
	"host", "cpu_model", "packages", "numa_nodes", "cores", "pus", "smt_per_core",
	"kernel", "virtualization", "governor", "turbo_boost", "load_avg", "compiler",
	"cflags", "git_revision", "date", "seed",
};

/* A merged folder's machines: a column per host, and each one's clock. */
static void page_machines(FILE *f, const struct csv_table *e, const char *const *hosts,
			  size_t n)
{
	const char *v;

	fputs("<h2 id=\"machine\">The machines</h2>\n<p class=\"note\" id=\"topology-absent\">"
	      "No topology picture: this folder merges the runs of several hosts "
	      "(<code>contend merge</code>), and lstopo draws one machine.</p>\n<table>\n"
	      "<tr><th></th>", f);
	for (size_t i = 0; i < n; i++) {
		fputs("<th>", f);
		page_esc(f, hosts[i]);
		fputs("</th>", f);
	}
	fputs("</tr>\n", f);
	for (size_t k = 0; k < sizeof(page_shown) / sizeof(page_shown[0]); k++) {
		fprintf(f, "<tr><th>%s</th>", page_shown[k]);
		for (size_t i = 0; i < n; i++) {
			fputs("<td>", f);
			if ((v = page_env_of(e, hosts[i], page_shown[k])))
				page_esc(f, v);
			fputs("</td>", f);
		}
		fputs("</tr>\n", f);
	}
	fputs("</table>\n<h3>The clocks</h3>\n<ul>\n", f);
	for (size_t i = 0; i < n; i++) {
		fputs("<li>", f);
		page_esc(f, hosts[i]);
		fputs(": ", f);
		page_esc(f, (v = page_env_of(e, hosts[i], "clock_source")) ? v : "unknown");
		fputs(", one reading ", f);
		page_esc(f, (v = page_env_of(e, hosts[i], "clock_read_ns")) ? v : "?");
		fputs(" ns</li>\n", f);
	}
	fputs("</ul>\n", f);
}

static void page_machine(FILE *f, const char *dir, const struct csv_table *t)
{
	char path[PATH_MAX + 32], host[256] = "", why[512];
	const char *run_host = NULL, *v, *hosts[PAGE_MAX_HOSTS];
	struct csv_table e;
	int have_env, same_host = 0;
	size_t nhosts;

	snprintf(path, sizeof(path), "%.*s/env.csv", PATH_MAX - 32, dir);
	have_env = csv_read(path, &e, NULL) == 0;
	if (have_env && (nhosts = page_hosts(&e, hosts, PAGE_MAX_HOSTS)) > 0) {
		page_machines(f, &e, hosts, nhosts);
		csv_table_free(&e);
		fputs("<h3>Counters</h3>\n", f);
		page_counters(f, t, 0);
		return;
	}
	if (have_env)
		run_host = page_env(&e, "host");
	gethostname(host, sizeof(host) - 1);
	same_host = run_host && !strcmp(run_host, host);

	fputs("<h2 id=\"machine\">The machine</h2>\n", f);
	if (!have_env)
		snprintf(why, sizeof(why), "No topology picture: the run folder has no env.csv, so "
			 "the machine that made it is unknown.");
	else if (!same_host)
		snprintf(why, sizeof(why), "No topology picture: the run was made on '%.100s', and "
			 "contend plot ran on '%.100s' (lstopo draws the machine it runs on; run "
			 "contend plot there to have it).", run_host ? run_host : "?", host);
	else if (page_lstopo(dir, why, sizeof(why)) == 0)
		why[0] = '\0';
	if (why[0]) {
		fputs("<p class=\"note\" id=\"topology-absent\">", f);
		page_esc(f, why);
		fputs("</p>\n", f);
	} else {
		fputs("<figure><img id=\"topology\" src=\"topology.png\" alt=\"hwloc topology of the "
		      "machine\"><figcaption>hwloc's view of the machine (lstopo): packages, caches, "
		      "cores and the processors (PU, with their OS numbers) that the placement "
		      "policies choose from.</figcaption></figure>\n", f);
	}
	if (have_env) {
		fputs("<table>\n", f);
		for (size_t k = 0; k < sizeof(page_shown) / sizeof(page_shown[0]); k++) {
			if (!(v = page_env(&e, page_shown[k])))
				continue;
			fprintf(f, "<tr><th>%s</th><td>", page_shown[k]);
			page_esc(f, v);
			fputs("</td></tr>\n", f);
		}
		fputs("</table>\n<h3>The clock</h3>\n<p>", f);
		page_esc(f, (v = page_env(&e, "clock_source")) ? v : "unknown");
		if ((v = page_env(&e, "clock_note"))) {
			fputs(": ", f);
			page_esc(f, v);
		}
		fputs(". One reading costs ", f);
		page_esc(f, (v = page_env(&e, "clock_read_ns")) ? v : "?");
		fputs(" ns, its step is ", f);
		page_esc(f, (v = page_env(&e, "clock_resolution_ns")) ? v : "?");
		fputs(" ns, two back-to-back readings are ", f);
		page_esc(f, (v = page_env(&e, "clock_pair_ns")) ? v : "?");
		fputs(" ns apart (what a latency sample is net of).</p>\n", f);
		csv_table_free(&e);
	}
	fputs("<h3>Counters</h3>\n", f);
	page_counters(f, t, same_host);
}

/* Row order of a chart's table: the key's columns in turn, the task
 * count as a number, so that one benchmark's rows sit together. */
struct page_order {
	const struct csv_table *t;
	const int *cols;
};

static int page_cmp_rows(const void *a, const void *b, void *arg)
{
	const struct page_order *o = arg;
	char *const *x = o->t->rows[*(const size_t *)a], *const *y = o->t->rows[*(const size_t *)b];
	static const int by[] = { 0, 1, 2, 4, 3, 5 };	/* bench mode placement params threads metric */

	for (size_t k = 0; k < sizeof(by) / sizeof(by[0]); k++) {
		int c = o->cols[by[k]], d;

		if (c < 0)
			continue;
		d = by[k] == 3 ? (atol(x[c]) > atol(y[c])) - (atol(x[c]) < atol(y[c]))
			       : strcmp(x[c], y[c]);
		if (d)
			return d;
	}
	return 0;
}

/* The results rows chart c was drawn from, as a table. */
static void page_rows(FILE *f, const struct csv_table *t, const struct plot_page_chart *c)
{
	static const char *const key[] = { "bench", "mode", "placement", "threads", "params",
					   "metric", "unit" };
	struct plot_spec s = *c->spec;
	struct plot_cols pc;
	const char *missing;
	char *keep;
	size_t nsel, shown = 0, *order;
	int cols[7], lo, hi;

	if (s.chart == PLOT_CDF) {
		/* The distribution is in histograms.csv; its quantile rows
		 * are what results.csv holds of it. */
		char pat[sizeof(s.metric)], *save = NULL;
		size_t off = 0;

		snprintf(pat, sizeof(pat), "%s", c->spec->metric);
		s.metric[0] = '\0';
		for (char *m = strtok_r(pat, "|", &save); m; m = strtok_r(NULL, "|", &save))
			off += (size_t)snprintf(s.metric + off, off < sizeof(s.metric) ?
						sizeof(s.metric) - off : 0, "%s%s_p*|%s_max",
						off ? "|" : "", m, m);
		s.chart = PLOT_BARS;
	}
	if (plot_find_cols(t, &s, 0, &pc, &missing) < 0 || !(keep = calloc(t->nrows + 1, 1))) {
		fputs("<p class=\"note\">No rows to show.</p>\n", f);
		return;
	}
	nsel = plot_select(t, &pc, c->family, &s, keep);
	for (int k = 0; k < 7; k++)
		cols[k] = csv_table_col(t, key[k]);
	if (!(order = calloc(nsel + 1, sizeof(*order)))) {
		free(keep);
		fputs("<p class=\"note\">No memory to list the rows.</p>\n", f);
		return;
	}
	for (size_t r = 0, i = 0; r < t->nrows; r++)
		if (keep[r])
			order[i++] = r;
	qsort_r(order, nsel, sizeof(*order), page_cmp_rows,
		&(struct page_order){ .t = t, .cols = cols });
	lo = strcmp(s.column, "median") ? -1 : pc.lo;
	hi = strcmp(s.column, "median") ? -1 : pc.hi;
	fprintf(f, "<details><summary>the %zu row%s of results.csv it was drawn from%s</summary>\n"
		"<div class=\"rows\"><table>\n<tr>", nsel, nsel == 1 ? "" : "s", c->spec->chart == PLOT_CDF ?
		" (the quantiles of its distributions; the buckets are in histograms.csv)" : "");
	for (int k = 0; k < 7; k++)
		fprintf(f, "<th>%s</th>", key[k]);
	fputs("<th>", f);
	page_esc(f, s.column);
	fputs(lo >= 0 ? "</th><th>ci95_lo</th><th>ci95_hi</th></tr>\n" : "</th></tr>\n", f);
	for (size_t i = 0; i < nsel && shown < PAGE_MAX_ROWS; i++) {
		size_t r = order[i];

		shown++;
		fputs("<tr>", f);
		for (int k = 0; k < 7; k++) {
			fputs(k == 3 ? "<td class=\"n\">" : "<td>", f);
			page_esc(f, cols[k] >= 0 ? t->rows[r][cols[k]] : "");
			fputs("</td>", f);
		}
		fputs("<td class=\"n\">", f);
		page_esc(f, t->rows[r][pc.v]);
		if (lo >= 0 && hi >= 0) {
			fputs("</td><td class=\"n\">", f);
			page_esc(f, t->rows[r][lo]);
			fputs("</td><td class=\"n\">", f);
			page_esc(f, t->rows[r][hi]);
		}
		fputs("</td></tr>\n", f);
	}
	fputs("</table></div>\n", f);
	if (shown < nsel)
		fprintf(f, "<p class=\"note\">%zu more rows are in results.csv.</p>\n", nsel - shown);
	fputs("</details>\n", f);
	free(order);
	free(keep);
}

static void page_chart(FILE *f, const struct csv_table *t, const struct plot_page_chart *c)
{
	char caption[4096];

	fprintf(f, "<h2 id=\"chart-%s\">%s</h2>\n<figure><img src=\"%s.png\" alt=\"chart %s\">"
		"<figcaption>", c->name, c->name, c->name, c->name);
	if (plot_page_caption(c->script, caption, sizeof(caption)) == 0)
		page_esc(f, caption);
	else
		fprintf(f, "<span class=\"note\">(no caption: %s has no '# caption:' line)</span>",
			c->script);
	fprintf(f, " <a href=\"%s.svg\">SVG</a> · <a href=\"%s.dat\">data</a></figcaption>"
		"</figure>\n", c->name, c->name);
	page_rows(f, t, c);
}

int plot_page_write(const char *dir, const struct csv_table *t, const struct plot_page_chart *c,
		    int n, FILE *say)
{
	char path[PATH_MAX + 32], *text = NULL;
	const char *run_id = "";
	size_t len = 0;
	struct outfile *w;
	struct csv_table e;
	int ncpus = 0, ret, run = csv_table_col(t, "run_id");
	FILE *f;

	snprintf(path, sizeof(path), "%.*s/env.csv", PATH_MAX - 32, dir);
	if (csv_read(path, &e, NULL) == 0) {
		const char *p = page_env(&e, "pus");

		ncpus = p ? atoi(p) : 0;
		csv_table_free(&e);
	}
	if (run >= 0 && t->nrows)
		run_id = t->rows[0][run];
	if (!(f = open_memstream(&text, &len)))
		return -1;
	fputs("<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n<title>contend: ",
	      f);
	page_esc(f, run_id);
	fprintf(f, "</title>\n<style>%s</style>\n</head>\n<body>\n<h1>contend run ", page_css);
	page_esc(f, run_id);
	fputs("</h1>\n<p class=\"note\">Drawn by <code>contend plot</code> from this folder's "
	      "results.csv, histograms.csv and env.csv. Contents: <a href=\"#lesson\">the "
	      "lesson</a> · <a href=\"#machine\">the machine</a>", f);
	for (int i = 0; i < n; i++)
		fprintf(f, " · <a href=\"#chart-%s\">%s</a>", c[i].name, c[i].name);
	fputs("</p>\n", f);
	page_verdicts(f, t, ncpus, say);
	page_machine(f, dir, t);
	if (!n)
		fputs("<h2>Charts</h2>\n<p class=\"note\">No chart was drawn from this run.</p>\n", f);
	for (int i = 0; i < n; i++)
		page_chart(f, t, &c[i]);
	fprintf(f, "<p id=\"pictures\">(the pictures are counted once the page has loaded)</p>\n"
		"<script>%s</script>\n</body>\n</html>\n", page_js);
	if (fclose(f) != 0) {
		free(text);
		return -1;
	}
	snprintf(path, sizeof(path), "%.*s/index.html", PATH_MAX - 32, dir);
	if (!(w = outfile_open(path))) {
		fprintf(stderr, "contend: cannot write %s: %s\n", path, strerror(errno));
		free(text);
		return -1;
	}
	outfile_write(w, text, len);
	free(text);
	if ((ret = outfile_commit(w)) < 0) {
		fprintf(stderr, "contend: cannot write %s: %s\n", path, strerror(-ret));
		return -1;
	}
	printf("%s\n", path);
	return 0;
}
