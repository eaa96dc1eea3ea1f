/*
 * harness/envinfo.c - read the facts that explain a number.  Everything
 * comes from /proc, /sys, uname, hwloc (via topo) and the build itself.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include "harness/clock.h"
#include "harness/csv.h"
#include "harness/envinfo.h"
#include "harness/topo.h"
#include "harness/work.h"

#ifndef CONTEND_GIT_REV
#define CONTEND_GIT_REV "unknown"
#endif
#ifndef CONTEND_CFLAGS
#define CONTEND_CFLAGS "unknown"
#endif

static void envinfo_set(struct envinfo *e, const char *key, const char *fmt, ...)
{
	va_list ap;

	if (e->n == ENVINFO_MAX)
		return;
	snprintf(e->key[e->n], sizeof(e->key[0]), "%s", key);
	va_start(ap, fmt);
	vsnprintf(e->value[e->n], sizeof(e->value[0]), fmt, ap);
	va_end(ap);
	e->n++;
}

/* First line of a file, without its newline; "unknown" if unreadable. */
static const char *envinfo_read_line(const char *path, char *buf, size_t len)
{
	FILE *f = fopen(path, "r");

	snprintf(buf, len, "unknown");
	if (!f)
		return buf;
	if (fgets(buf, (int)len, f))
		buf[strcspn(buf, "\n")] = '\0';
	else
		snprintf(buf, len, "unknown");
	fclose(f);
	return buf;
}

/* The value of "key : value" in /proc/cpuinfo's first block. */
static const char *envinfo_cpuinfo(const char *key, char *buf, size_t len)
{
	FILE *f = fopen("/proc/cpuinfo", "r");
	char line[4096];
	size_t klen = strlen(key);

	snprintf(buf, len, "unknown");
	if (!f)
		return buf;
	while (fgets(line, sizeof(line), f)) {
		if (strncmp(line, key, klen) == 0 && (line[klen] == '\t' || line[klen] == ' ' ||
						      line[klen] == ':')) {
			char *v = strchr(line, ':');
			if (v) {
				v += 1 + (v[1] == ' ');
				v[strcspn(v, "\n")] = '\0';
				snprintf(buf, len, "%s", v);
			}
			break;
		}
	}
	fclose(f);
	return buf;
}

static const char *envinfo_boost(char *buf, size_t len)
{
	char v[64];

	if (strcmp(envinfo_read_line("/sys/devices/system/cpu/intel_pstate/no_turbo", v,
				     sizeof(v)), "unknown") != 0)
		snprintf(buf, len, "%s", strcmp(v, "0") == 0 ? "on" : "off");
	else if (strcmp(envinfo_read_line("/sys/devices/system/cpu/cpufreq/boost", v, sizeof(v)),
			"unknown") != 0)
		snprintf(buf, len, "%s", strcmp(v, "1") == 0 ? "on" : "off");
	else
		snprintf(buf, len, "unknown");
	return buf;
}

static const char *envinfo_virt(char *buf, size_t len)
{
	char flags[4096], vendor[128];

	envinfo_cpuinfo("flags", flags, sizeof(flags));
	envinfo_read_line("/sys/class/dmi/id/sys_vendor", vendor, sizeof(vendor));
	if (strstr(flags, " hypervisor"))
		snprintf(buf, len, "yes (%s)", vendor);
	else if (strcmp(flags, "unknown") == 0)
		snprintf(buf, len, "unknown");
	else
		snprintf(buf, len, "no");
	return buf;
}

void envinfo_collect(struct envinfo *e, const char *run_id, unsigned long long seed)
{
	struct utsname u;
	struct topo_summary ts;
	const struct clk_info *ci = clk_get_info();
	char buf[4096], host[256];
	double load[3] = { -1, -1, -1 };
	time_t now = time(NULL);
	struct tm tm;
	const struct work_calibration *wc;

	memset(e, 0, sizeof(*e));
	envinfo_set(e, "run_id", "%s", run_id);
	gethostname(host, sizeof(host));
	host[sizeof(host) - 1] = '\0';
	envinfo_set(e, "host", "%s", host);
	gmtime_r(&now, &tm);
	strftime(buf, sizeof(buf), "%Y-%m-%dT%H:%M:%SZ", &tm);
	envinfo_set(e, "date", "%s", buf);
	envinfo_cpuinfo("model name", buf, sizeof(buf));
	if (strcmp(buf, "unknown") == 0)	/* aarch64 has no model name */
		envinfo_cpuinfo("CPU part", buf, sizeof(buf));
	envinfo_set(e, "cpu_model", "%s", buf);
	topo_summarize(&ts);
	envinfo_set(e, "packages", "%u", ts.packages);
	envinfo_set(e, "numa_nodes", "%u", ts.numa_nodes);
	envinfo_set(e, "cores", "%u", ts.cores);
	envinfo_set(e, "pus", "%u", ts.pus);
	envinfo_set(e, "smt_per_core", "%u", ts.smt);
	envinfo_set(e, "smt_control", "%s",
		    envinfo_read_line("/sys/devices/system/cpu/smt/control", buf, sizeof(buf)));
	if (uname(&u) == 0) {
		envinfo_set(e, "kernel", "%s %s", u.sysname, u.release);
		envinfo_set(e, "arch", "%s", u.machine);
	}
	envinfo_set(e, "compiler", "%s", __VERSION__);
	envinfo_set(e, "cflags", "%s", CONTEND_CFLAGS);
	envinfo_set(e, "git_revision", "%s", CONTEND_GIT_REV);
	envinfo_set(e, "clock_source", "%s", ci->source);
	envinfo_set(e, "clock_note", "%s", ci->note);
	envinfo_set(e, "clock_read_ns", "%.2f", ci->read_ns);
	envinfo_set(e, "clock_resolution_ns", "%.2f", ci->resolution_ns);
	envinfo_set(e, "clock_pair_ns", "%llu", (unsigned long long)ci->pair_ns);
	envinfo_set(e, "governor", "%s", envinfo_read_line(
		"/sys/devices/system/cpu/cpu0/cpufreq/scaling_governor", buf, sizeof(buf)));
	envinfo_set(e, "cpu_mhz", "%s", envinfo_cpuinfo("cpu MHz", buf, sizeof(buf)));
	envinfo_set(e, "turbo_boost", "%s", envinfo_boost(buf, sizeof(buf)));
	envinfo_set(e, "aslr", "%s",
		    envinfo_read_line("/proc/sys/kernel/randomize_va_space", buf, sizeof(buf)));
	envinfo_set(e, "perf_event_paranoid", "%s",
		    envinfo_read_line("/proc/sys/kernel/perf_event_paranoid", buf, sizeof(buf)));
	if (getloadavg(load, 3) == 3)
		envinfo_set(e, "load_avg", "%.2f %.2f %.2f", load[0], load[1], load[2]);
	else
		envinfo_set(e, "load_avg", "unknown");
	envinfo_set(e, "virtualization", "%s", envinfo_virt(buf, sizeof(buf)));
	/* After the load is read: the calibration is load.  Measured here,
	 * once, in the process that forks every runner, so that one rate
	 * serves the whole run and is the one recorded. */
	wc = work_calibrate();
	if (wc->loops_per_ns > 0)
		envinfo_set(e, "work_loops_per_ns", "%.6g", wc->loops_per_ns);
	else
		envinfo_set(e, "work_loops_per_ns", "unknown");
	envinfo_set(e, "work_calibration", "median of %d of %d tries of 1 ms that held their "
		    "processor%s; quartiles %.2g %% apart", wc->kept ? wc->kept : wc->tries,
		    wc->tries, wc->kept ? "" : " (none did: all tries, timed by CPU time)", wc->spread * 100);
	envinfo_set(e, "seed", "%llu", seed);
}

const char *envinfo_get(const struct envinfo *e, const char *key)
{
	for (int i = 0; i < e->n; i++)
		if (strcmp(e->key[i], key) == 0)
			return e->value[i];
	return "unknown";
}

void envinfo_csv(const struct envinfo *e, struct csv_writer *w)
{
	csv_field_str(w, "key");
	csv_field_str(w, "value");
	csv_row_end(w);
	for (int i = 0; i < e->n; i++) {
		csv_field_str(w, e->key[i]);
		csv_field_str(w, e->value[i]);
		csv_row_end(w);
	}
}
