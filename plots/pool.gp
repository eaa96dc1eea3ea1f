# contend: chart=lines metric=speedup x=threads panel=task_us where=task:work
# caption: Speedup of each pool against its workers (the same tasks one after another, over the
# caption: round's time), a panel per task length, the ideal line dashed. Short tasks show the
# caption: pool's own cost: a pool that reuses workers stays near the ideal, a thread per task
# caption: falls away; long tasks hide it.
#
# plots/pool.gp - speedup against workers, a panel per task length
# (task_us of CPU time in the calibrated loop), a line per pool: the same tasks run one
# after another with no pool over the pool's time (bench/pool.c).  The
# grey line is the ideal, min(workers, processors); the dashed line marks
# the processor count.  pool.process.apply waits for each task, so it
# stays near or below 1 whatever the workers; the short tasks show what
# each pool's hand-over costs.  The real Python's pools (cpython.*) are
# dash-dotted, as on the ptc charts.
#
# `contend plot DIR` passes datafile (blocks panel-major: x, median, low,
# high), fmt, nseries, npanels, series and panels (quoted words),
# members (per panel, the numbers of the series with points there),
# subtitle, machine, ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1500,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1500,650 dynamic font "sans,10" noenhanced
}
set logscale x 2
set logscale y 2
set format y "%g"
set grid ytics xtics lc rgb "#dddddd"
set xlabel "workers"
set border 3
set xtics nomirror
set ytics nomirror
set offsets 0, graph 0.04, 0, 0
set xrange [1:*]
set key noenhanced font ",10"
set multiplot title sprintf("contend: pool speedup over the same tasks run one after another (median, 95%% CI)\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors; grey: ideal min(workers, processors); dashed: the processor count. ", machine, ncpus) : ""
set label 100 about . "Tasks of task_us of CPU time each; every task run and called back once (checked). cpython.*, dash-dotted: the real Python." at screen 0.01, screen 0.02 font ",9" noenhanced
ideal(x) = (ncpus > 0 && x > ncpus) ? ncpus : x
left = 0.06
right = 0.84
# The key goes with the panel that has the most series (the Python rows
# may be in some panels only), so that every line drawn is named.
keyp = 0
do for [p=0:npanels-1] {
	if (words(word(members, p + 1)) > words(word(members, keyp + 1))) { keyp = p }
}
w = (right - left) / npanels
do for [p=0:npanels-1] {
	set lmargin at screen left + p * w + 0.005
	set rmargin at screen left + (p + 1) * w - 0.01
	set tmargin at screen 0.86
	set bmargin at screen 0.13
	set title sprintf("tasks of %s us", word(panels, p + 1)) noenhanced
	if (p == 0) { set ylabel "speedup" } else { unset ylabel }
	if (p == keyp) {
		set key at screen 0.995, screen 0.86 top right Left reverse
	} else {
		unset key
	}
	unset arrow 1
	if (ncpus > 0) {
		set arrow 1 from ncpus, graph 0 to ncpus, graph 1 nohead dt 2 lw 1.5 lc rgb "#555555"
	}
	plot ideal(x) with lines lw 3 lc rgb "#cccccc" title "ideal", \
		for [m in word(members, p + 1)] datafile index (p * nseries + int(m)) using 1:2:3:4 \
		with yerrorlines lw 1.5 ps 0.8 lt (int(m) % 8 + 1) pt (int(m) % 12 + 1) \
		dt 1 + 3 * (strstrt(word(series, int(m) + 1), "cpython") > 0) \
		title word(series, int(m) + 1)
	unset label 100
}
unset multiplot
