# contend: chart=bars metric=overhead_per_task group=bench series=task_us where=task:work,threads:min
# caption: What a pool adds to each task at one worker: overhead per task (round time over tasks,
# caption: less the task's own time), a bar per pool and task length, log y. Lower is leaner; the
# caption: thread-per-task bars include creating and joining a thread each time.
#
# plots/pool-overhead.gp - what a task costs beyond its own work, per
# pool, at one worker (each pool's smallest worker count), a bar per task
# length; log y.  overhead_per_task = round time x the tasks that can run
# at once / tasks - one task's own time alone (bench/pool.c): the
# hand-over, the thread made per task (token pool, thread per task), the
# hand-over through shared rings (process pool).  The real Python's
# pools (cpython.*) are hatched, with dash-dotted borders, as their
# lines are on the other charts.  A pool whose overhead is within the
# noise of the task's own time has no bar (a value <= 0 on a log axis;
# see the CSV).
#
# `contend plot DIR` passes datafile, fmt, nseries, subtitle, machine,
# ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1500,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1500,650 dynamic font "sans,10" noenhanced
}
# Boxes placed by hand rather than gnuplot's histogram style, which
# styles a bar by its column only: a group (a row) must be told apart
# too, the real Python's from ours.  Each series is drawn in two passes,
# solid for our rows and hatched with a dash-dotted border for Python's;
# a first look at the data lists the series that have rows of each kind,
# so that no pass is empty (gnuplot would warn of it).
set datafile columnheaders
set logscale y
set format y "%.0s%c"
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror rotate by -25 left noenhanced
set ytics nomirror
set offsets 0.5, 0.5, 0, 0
set ylabel "overhead per task (ns, median of rounds)"
set key outside right top vertical Left reverse noenhanced title "task_us"
set bmargin 7
set title sprintf("contend: what a pool adds to each task, one worker\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Tasks of task_us of CPU time each; overhead = round time / tasks - one task's own time alone. cpython.*, hatched and dash-dotted: the real Python." at screen 0.01, screen 0.02 font ",9" noenhanced
bw = 0.8 / nseries
bx(i) = column(0) + (i - (nseries - 1) / 2.0) * bw
python = "(strstrt(strcol(1), \"cpython\") > 0)"
# valid(), so that a missing value is counted, not skipped.
has(i) = valid(2 + 3 * i)
ours = ""
theirs = ""
set table $scratch
do for [i=0:nseries-1] {
	n_ours = 0
	n_theirs = 0
	plot datafile using (n_ours = n_ours + (!@python && has(i)), \
			     n_theirs = n_theirs + (@python && has(i)), 0):(0) with table
	if (n_ours > 0) { ours = ours . sprintf(" %d", i) }
	if (n_theirs > 0) { theirs = theirs . sprintf(" %d", i) }
}
unset table
# The group names, at the groups' middles, from a pass of invisible
# points on a series' own values (so the y range stays the bars').
named = 2 + 3 * int(word(ours . theirs, 1))
plot for [s in ours] datafile using (bx(int(s))):(@python ? NaN : column(2 + 3 * int(s))):(bw) \
		with boxes lt (int(s) % 8 + 1) fs solid 0.85 border rgb "black" \
		title columnhead(2 + 3 * int(s)), \
	for [s in theirs] datafile using (bx(int(s))):(@python ? column(2 + 3 * int(s)) : NaN):(bw) \
		with boxes lt (int(s) % 8 + 1) lw 1.5 dt 4 fs pattern 4 border notitle, \
	datafile using 0:named:xtic(1) with points ps 0 notitle
