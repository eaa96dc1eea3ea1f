# contend: chart=lines metric=ops_per_sec x=threads series=bench where=bench:!scene.array,bench:!scene.manager
# caption: Operations per second against processes, a line per way of sharing: a shared Array under
# caption: its process-shared lock, the same without the lock (updates may be lost), and a Manager
# caption: dictionary served by a process over a socket; log y. The Manager sits orders of
# caption: magnitude below the Array: each operation is a round trip.
#
# plots/shm.gp - operations per second against processes, a line per way
# of sharing (bench/shm.c): the Array's element incremented under its
# process-shared lock, the same without the lock (losing updates), and a
# Manager dictionary's set, a round trip to its server process; log y.
# The dashed line marks the processor count.  The real Python's Array
# and Manager (cpython.*) are dash-dotted, as on the ptc charts.
#
# `contend plot DIR` passes datafile (blocks panel-major: x, median, low,
# high), fmt, nseries, npanels, series and panels, members, subtitle,
# machine, ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1000,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1000,650 dynamic font "sans,10" noenhanced
}
set logscale y
set logscale x 2
set format y "%.0s%c"
set grid ytics mytics xtics lc rgb "#dddddd"
set xlabel "processes"
set ylabel "operations per second (all processes)"
set border 3
set xtics nomirror
set ytics nomirror
set offsets 0, graph 0.04, 0, 0
set xrange [1:*]
set key outside right top vertical Left reverse noenhanced
set bmargin 6
set title sprintf("contend: sharing data between processes (median, 95%% CI)\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors; dashed line: the processor count. ", machine, ncpus) : ""
set label 100 about . "Array: a[0] += 1, with and without its lock; manager: d[task] = n, a socket round trip. cpython.*, dash-dotted: the real Python (processes started in each round)." at screen 0.01, screen 0.02 font ",9" noenhanced
if (ncpus > 0) {
	set arrow 1 from ncpus, graph 0 to ncpus, graph 1 nohead dt 2 lw 1.5 lc rgb "#555555"
}
plot for [m=0:nseries-1] datafile index m using 1:2:3:4 \
	with yerrorlines lw 1.5 ps 0.8 lt (m % 8 + 1) pt (m % 12 + 1) \
	dt 1 + 3 * (strstrt(word(series, m + 1), "cpython") > 0) \
	title word(series, m + 1)
