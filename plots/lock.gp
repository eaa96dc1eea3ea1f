# contend: chart=lines metric=throughput x=threads panel=cs_ns where=mode:thread label=policy
# caption: Lock throughput (acquisitions per second, all tasks) against the number of tasks, a line
# caption: per lock and waiting policy, a panel per critical-section length; log y. The dashed line
# caption: marks the processor count: to its right tasks outnumber processors, and a spinning
# caption: lock's line falls steeply (it collapses) while a sleeping lock's stays level.
#
# plots/lock.gp - lock throughput against the number of tasks, a line
# per lock (and waiting policy), a panel per cs_ns (work inside the
# critical section); log y.  The dashed line marks the processor count:
# to its right tasks outnumber processors, where spinners that never
# yield collapse and sleeping locks hold on.
#
# `contend plot DIR` passes datafile (blocks panel-major: x, median, low,
# high), fmt, nseries, npanels, series and panels (quoted words),
# members (per panel, the numbers of the series with points there),
# subtitle (the run id), machine, ncpus; the image goes to stdout.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1500,720 font "sans,10" noenhanced
} else {
	set terminal svg size 1500,720 dynamic font "sans,10" noenhanced
}
set logscale y
set logscale x 2
set format y "%.0s%c"
set grid ytics mytics xtics lc rgb "#dddddd"
set xlabel "tasks (threads) sharing one lock"
set border 3
set xtics nomirror
set ytics nomirror
set offsets graph 0.04, graph 0.04, 0, 0
set key noenhanced font ",10" spacing 1.05
set multiplot title sprintf("contend: lock throughput (acquire + release per second, all tasks; median, 95%% CI)\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. Dashed line: the processor count; to its right tasks outnumber processors. ", machine, ncpus) : ""
set label 100 about . "policy: yield = spins, then yields; spin = never yields; sleep = blocks in the kernel; adaptive = spins a while, then sleeps." at screen 0.01, screen 0.02 font ",9" noenhanced
left = 0.06
right = 0.80
w = (right - left) / npanels
do for [p=0:npanels-1] {
	set lmargin at screen left + p * w + 0.005
	set rmargin at screen left + (p + 1) * w - 0.01
	set tmargin at screen 0.88
	set bmargin at screen 0.12
	set title sprintf("cs_ns = %s (ns of work inside)", word(panels, p + 1)) noenhanced
	if (p == 0) { set ylabel "acquisitions per second" } else { unset ylabel }
	if (p == npanels - 1) {
		set key at screen 0.995, screen 0.88 top right Left reverse
	} else {
		unset key
	}
	unset arrow 1
	if (ncpus > 0) {
		set arrow 1 from ncpus, graph 0 to ncpus, graph 1 nohead dt 2 lw 1.5 lc rgb "#555555"
	}
	plot for [m in word(members, p + 1)] datafile index (p * nseries + int(m)) using 1:2:3:4 \
		with yerrorlines lw 1.4 ps 0.7 lt (int(m) % 8 + 1) dt int(m) / 8 + 1 pt (int(m) % 12 + 1) \
		title word(series, int(m) + 1)
	unset label 100
}
unset multiplot
