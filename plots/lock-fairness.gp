# contend: chart=bars metric=jain group=bench series=threads where=mode:thread,cs_ns:max label=policy scale=linear
# caption: How evenly each lock served its tasks: Jain's index of the acquisitions per task, a bar
# caption: per task count, at the largest critical section run. 1 is perfectly even, 1/n means one
# caption: task took everything; a low bar is a lock that lets one holder re-take it while the
# caption: others wait.
#
# plots/lock-fairness.gp - how evenly each lock served its tasks: Jain's
# index of the acquisitions per task (1 = all equal, 1/n = one task got
# everything), a bar per task count, at the largest cs_ns run.  A round
# ends when the first task has done its share, so a lock that starves a
# task shows here as a low bar (share_min in results.csv says how low).
#
# `contend plot DIR` passes datafile (a header, then a line per lock:
# median, low, high per series), fmt, nseries, subtitle, machine, ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1500,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1500,650 dynamic font "sans,10" noenhanced
}
set style data histogram
set style histogram errorbars gap 1.5 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:1.08]
set ytics 0.1 nomirror
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror rotate by -35 left noenhanced
set ylabel "Jain's fairness index (median, 95% CI)"
set key outside right top vertical Left reverse noenhanced title "tasks"
set bmargin 9
set title sprintf("contend: lock fairness, Jain's index of acquisitions per task\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "1 = every task got the same share; 1/tasks = one task got them all. At the largest cs_ns of the run, threads." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
	title columnhead(2+3*i)
