# contend: chart=lines metric=requests_per_sec|cpu_bytecodes_per_sec x=interval_us series=metric where=bench:interval
# caption: The switch interval's trade-off with one echo and one CPU-bound thread: requests per
# caption: second of the echo and bytecodes per second of the CPU-bound thread, against the
# caption: interval (log x). A shorter interval serves the echo sooner (requests rise about as
# caption: 1/interval) and costs the CPU-bound thread hand-overs.
#
# plots/gil-interval.gp - the switch interval's trade-off, one echo and
# one CPU-bound thread: requests per second (left axis) grow roughly as
# 1 / interval until the lock's own cost dominates, while the CPU-bound
# thread's bytecodes per second (right axis) fall at small intervals,
# where it is made to drop the lock most often.
#
# Series are sorted by label, and each label starts with its metric, so
# the first half (cpu_bytecodes_per_sec ...) goes on the right axis and
# the second half (requests_per_sec ...) on the left.
#
# `contend plot DIR` passes datafile (a block per series: x, median,
# low, high), fmt, nseries, series (quoted words), subtitle, machine,
# ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1200,620 font "sans,10" noenhanced
} else {
	set terminal svg size 1200,620 dynamic font "sans,10" noenhanced
}
set logscale x
set logscale y
set logscale y2
set format y "%.0s%c"
set format y2 "%.0s%c"
set xlabel "switch interval (us, log scale)"
set ylabel "echo requests per second (solid)"
set y2label "CPU-bound bytecodes per second (dashed)"
set ytics nomirror
set y2tics
set xtics nomirror
set grid xtics ytics lc rgb "#dddddd"
set border 11
set key at screen 0.5, screen 0.12 center top horizontal Left reverse noenhanced maxcols 2
set rmargin 12
set bmargin 9
set title sprintf("contend: the switch interval, I/O round trips against CPU-bound throughput\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "One echo thread and one CPU-bound thread under one lock; median, 95% CI." at screen 0.01, screen 0.02 font ",9" noenhanced
half = nseries / 2
plot for [s=half:nseries-1] datafile index s using 1:2:3:4 with yerrorlines axes x1y1 \
		lw 1.6 lt (s - half + 1) pt 7 title word(series, s + 1), \
	for [s=0:half-1] datafile index s using 1:2:3:4 with yerrorlines axes x1y2 \
		lw 1.6 dt 2 lt (s + 1) pt 5 title word(series, s + 1)
