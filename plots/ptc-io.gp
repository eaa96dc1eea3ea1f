# contend: chart=lines metric=requests_per_sec|ideal_per_sec|charged_per_unit|conn_per_unit x=c series=bench panel=metric
# caption: C units each holding a loopback connection to a server that answers after a fixed
# caption: latency: requests per second against C beside the ideal C / latency (left), and
# caption: memory charged per unit (right), a line per carrier, log axes, the connection's own
# caption: socket dashed. A carrier that keeps up follows the ideal; the memory panel is where
# caption: coroutines beat threads and processes: what lies above the dashed line is the carrier's.
#
# plots/ptc-io.gp - C units each holding a loopback connection to a
# server that answers after an injected latency: requests per second
# against C, a line per carrier (threads, processes, one thread's hub
# coroutines) with the ideal C / latency dashed (left); and the memory
# each unit costs, as the cgroup counts it, kernel included (right),
# with what the connection alone costs (its socket, read before any
# unit existed: conn_per_unit) dashed, the floor every carrier pays.
# Log-log.
#
# `contend plot DIR` passes datafile (blocks panel-major: x, median, low,
# high), fmt, nseries, npanels, series and panels (quoted words, here
# metrics), members (per panel, the series with points there),
# subtitle, machine, ncpus; the image goes to stdout.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1500,720 font "sans,10" noenhanced
} else {
	set terminal svg size 1500,720 dynamic font "sans,10" noenhanced
}
# Which block holds what: the panels are the metrics, in their order.
preq = -1; pideal = -1; pmem = -1; pconn = -1
do for [p=1:npanels] {
	if (word(panels, p) eq "requests_per_sec") { preq = p - 1 }
	if (word(panels, p) eq "ideal_per_sec") { pideal = p - 1 }
	if (word(panels, p) eq "charged_per_unit") { pmem = p - 1 }
	if (word(panels, p) eq "conn_per_unit") { pconn = p - 1 }
}
set logscale xy
set format y "%.0s%c"
set grid ytics mytics xtics lc rgb "#dddddd"
set border 3
set xtics nomirror
set ytics nomirror
set offsets graph 0.04, graph 0.04, 0, 0
set xlabel "concurrent units C (a connection each)"
set key noenhanced font ",10" spacing 1.05
set multiplot title sprintf("contend: request -> answer over loopback, the server answering after its latency\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Dashed: the ideal C / latency. cpython.*, dash-dotted: the real Python (threading, multiprocessing, asyncio, gevent).\nMemory: growth of the cgroup's charge (user and kernel) per unit, all C alive and connected; the kernel charges in batches of 256 KiB a processor, so at small C it is coarse." at screen 0.01, screen 0.035 font ",9" noenhanced
set lmargin at screen 0.06
set rmargin at screen 0.45
set tmargin at screen 0.88
set bmargin at screen 0.12
set title "requests per second (median, 95% CI)"
set ylabel "requests per second"
set key top left Left reverse
if (preq >= 0) {
	plot for [m in word(members, preq + 1)] datafile index (preq * nseries + int(m)) using 1:2:3:4 \
			with yerrorlines lw 1.6 ps 0.8 lt (int(m) % 8 + 1) pt (int(m) % 12 + 1) \
			dt 1 + 3 * (strstrt(word(series, int(m) + 1), "cpython") > 0) \
			title word(series, int(m) + 1), \
		for [m in (pideal >= 0 ? word(members, pideal + 1) : "")] \
			datafile index (pideal * nseries + int(m)) using 1:2 \
			with lines dt 2 lw 1.2 lc rgb "#555555" \
			title (int(m) == int(word(word(members, pideal + 1), 1)) ? "ideal C / latency" : "")
}
unset label 100
set lmargin at screen 0.55
set rmargin at screen 0.98
set title "memory per unit, as the kernel charges it (median)"
set ylabel "bytes per unit"
set key top right Left reverse
# (An iteration over no words still evaluates its clause once in
# gnuplot: the socket's line is drawn only where the run has it.)
if (pmem >= 0 && pconn >= 0) {
	conn = int(word(word(members, pconn + 1), 1))
	plot for [m in word(members, pmem + 1)] datafile index (pmem * nseries + int(m)) using 1:2:3:4 \
		with yerrorlines lw 1.6 ps 0.8 lt (int(m) % 8 + 1) pt (int(m) % 12 + 1) \
		title word(series, int(m) + 1), \
		datafile index (pconn * nseries + conn) using 1:2 \
		with lines dt 2 lw 1.2 lc rgb "#555555" title "the connection alone (its socket)"
} else {
	if (pmem >= 0) {
		plot for [m in word(members, pmem + 1)] datafile index (pmem * nseries + int(m)) \
			using 1:2:3:4 with yerrorlines lw 1.6 ps 0.8 lt (int(m) % 8 + 1) \
			pt (int(m) % 12 + 1) title word(series, int(m) + 1)
	}
}
unset multiplot
