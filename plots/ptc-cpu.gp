# contend: chart=lines metric=speedup x=threads series=bench
# caption: One CPU-bound job split over W units: speedup over one unit against W, a line per
# caption: carrier (threads, processes, coroutines, and the job as bytecode under the simulated GIL
# caption: as threads and as processes), the ideal dashed. Threads and processes follow the ideal
# caption: up to the processor count; coroutines and GIL threads stay at 1. The real Python's lines
# caption: are dash-dotted.
#
# plots/ptc-cpu.gp - a fixed CPU job split over W units: the speedup over
# one unit (T_1 / T_W, both timed in every repetition), a line per
# carrier: C threads, C processes, coroutines of one thread, and the same
# job as bytecode under a global lock in threads (one lock) and in
# processes (one each).  Dashed: the ideal, W up to the processor count
# (dotted) and flat past it, where no carrier can gain more.  Log x.
#
# `contend plot DIR` passes datafile (one block per series: x, median,
# low, high), fmt, nseries, npanels, series and panels (quoted words),
# members, subtitle, machine, ncpus; the image goes to stdout.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1200,700 font "sans,10" noenhanced
} else {
	set terminal svg size 1200,700 dynamic font "sans,10" noenhanced
}
set logscale x 2
# Past twice the processors' ideal only a noisy interval reaches.
if (ncpus > 0) { set yrange [0:2 * ncpus] } else { set yrange [0:*] }
set grid ytics xtics lc rgb "#dddddd"
set border 3
set xtics nomirror
set ytics nomirror
set offsets graph 0.03, graph 0.03, graph 0.05, 0
set xlabel "units W sharing the job (threads, processes or coroutines)"
set ylabel "speedup over one unit (median, 95% CI)"
set key outside right top vertical Left reverse noenhanced title "carrier"
set bmargin 6
set title sprintf("contend: a fixed CPU job split over W units\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors (dotted). ", machine, ncpus) : ""
set label 100 about . "Dashed: the ideal, min(W, processors). gil_*: bytecode under gil=new (threads: one lock; processes: one each). cpython.*, dash-dotted: the real Python." at screen 0.01, screen 0.02 font ",9" noenhanced
if (ncpus > 0) {
	set arrow 1 from ncpus, graph 0 to ncpus, graph 1 nohead dt 3 lw 1.5 lc rgb "#555555"
}
plot for [m in word(members, 1)] datafile index int(m) using 1:2:3:4 \
		with yerrorlines lw 1.6 ps 0.8 lt (int(m) % 8 + 1) pt (int(m) % 12 + 1) \
		dt 1 + 3 * (strstrt(word(series, int(m) + 1), "cpython") > 0) \
		title word(series, int(m) + 1), \
	(x <= 128 ? (ncpus > 0 && x > ncpus ? ncpus : x) : 1/0) with lines dt 2 lw 1.2 \
		lc rgb "#555555" title "ideal"
