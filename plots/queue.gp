# contend: chart=lines metric=items_per_sec x=threads panel=capacity where=mode:thread,bench:!cooks,load:0
# caption: Items per second against producers + consumers, a line per queue, a panel per capacity,
# caption: log y. Lines that fall as tasks grow are queues whose lock is fought over; Concurrency
# caption: Kit's rings are the lock-free peers.
#
# plots/queue.gp - items moved producer to consumer per second against
# the number of tasks (half produce, half consume), a line per queue, a
# panel per capacity (0: unbounded); log y.  The dashed line marks the
# processor count.  Rows of the flat-out configurations (load=0: the paced
# ones measure the same flat-out rounds).  The cooks scene (3 producers, 10 consumers,
# Queue(10)) is drawn in queue-capacity.png.
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
set logscale y
set logscale x 2
set format y "%.0s%c"
set grid ytics mytics xtics lc rgb "#dddddd"
set xlabel "tasks (producers + consumers)"
set border 3
set xtics nomirror
set ytics nomirror
set offsets 0, graph 0.04, 0, 0
set xrange [1:*]
set key noenhanced font ",10"
set multiplot title sprintf("contend: queue throughput (items per second, median, 95%% CI)\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors; dashed line: the processor count. ", machine, ncpus) : ""
set label 100 about . "Each item: put by a producer, got by a consumer, checked exactly once. Threads." at screen 0.01, screen 0.02 font ",9" noenhanced
left = 0.06
right = 0.86
w = (right - left) / npanels
do for [p=0:npanels-1] {
	set lmargin at screen left + p * w + 0.005
	set rmargin at screen left + (p + 1) * w - 0.01
	set tmargin at screen 0.86
	set bmargin at screen 0.13
	cap = word(panels, p + 1)
	set title (cap eq "0" ? "unbounded" : sprintf("capacity %s", cap)) noenhanced
	if (p == 0) { set ylabel "items per second" } else { unset ylabel }
	if (p == npanels - 1) {
		set key at screen 0.995, screen 0.86 top right Left reverse
	} else {
		unset key
	}
	unset arrow 1
	if (ncpus > 0) {
		set arrow 1 from ncpus, graph 0 to ncpus, graph 1 nohead dt 2 lw 1.5 lc rgb "#555555"
	}
	plot for [m in word(members, p + 1)] datafile index (p * nseries + int(m)) using 1:2:3:4 \
		with yerrorlines lw 1.5 ps 0.8 lt (int(m) % 8 + 1) pt (int(m) % 12 + 1) \
		title word(series, int(m) + 1)
	unset label 100
}
unset multiplot
