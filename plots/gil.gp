# contend: chart=lines metric=rtt_p50|rtt_p99 x=cpu panel=stat series=gil label=mode
# caption: The convoy effect: an echo's round trip (p50 and p99 panels) against the number of CPU-
# caption: bound threads beside it, a line per lock policy (and mode; in process mode the CPU-bound
# caption: work is in other processes). Under `new` one CPU-bound thread already makes a round trip
# caption: cost about one or two switch intervals; io_priority and processes stay near the bare
# caption: round trip. The real CPython's line, when present, is the reference.
#
# plots/gil.gp - the convoy effect: an echo's round trip against the
# number of CPU-bound threads beside it, a line per lock policy (and per
# mode: in process mode the CPU-bound work is in other processes, each
# with its own lock), p50 and p99 in two panels; log y.  Under `new` one
# CPU-bound thread lifts the round trip from microseconds to about two
# intervals (10.4 ms at 5 ms, as CPython's): the echo, back from recv and
# again from send, waits an interval for the lock.  A round's first trip
# (one interval: the CPU-bound threads have just started) is left out.
# gil.cpython.convoy draws the machine's real CPython beside them (its
# lines are named cpython.convoy; gil.interval has no cpu axis and stays
# out).
#
# `contend plot DIR` passes datafile (blocks panel-major: x, median, low,
# high), fmt, nseries, npanels, series and panels (quoted words),
# members (per panel, the numbers of the series with points there),
# subtitle, machine, ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1400,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1400,650 dynamic font "sans,10" noenhanced
}
set encoding utf8
set logscale y
set format y "%.0s %cs"
set grid ytics mytics xtics lc rgb "#dddddd"
set xlabel "CPU-bound threads (or processes) beside the echo"
set xtics 1 nomirror
set ytics nomirror
set border 3
set autoscale xfix
set offsets 0.25, 0.25, 0, 0
set key noenhanced font ",10"
set multiplot title sprintf("contend: the convoy effect, echo round trip beside CPU-bound work (median over rounds, 95%% CI)\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Simulated interpreter, switch interval as in the row (default 5 ms; new: about two intervals a trip). thread: one lock for all; process: a lock per process. Start-up trip left out." at screen 0.01, screen 0.02 font ",9" noenhanced
left = 0.07
right = 0.80
w = (right - left) / npanels
do for [p=0:npanels-1] {
	set lmargin at screen left + p * w + 0.005
	set rmargin at screen left + (p + 1) * w - 0.02
	set tmargin at screen 0.86
	set bmargin at screen 0.13
	set title sprintf("round trip %s", word(panels, p + 1)) noenhanced
	if (p == 0) { set ylabel "round trip (log scale)" } else { unset ylabel }
	if (p == npanels - 1) {
		set key at screen 0.995, screen 0.86 top right Left reverse
	} else {
		unset key
	}
	plot for [m in word(members, p + 1)] datafile index (p * nseries + int(m)) \
		using 1:($2 * 1e-9):($3 * 1e-9):($4 * 1e-9) \
		with yerrorlines lw 1.6 ps 0.9 lt (int(m) % 8 + 1) pt (int(m) % 12 + 1) \
		title word(series, int(m) + 1)
	unset label 100
}
unset multiplot
