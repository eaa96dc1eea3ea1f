# contend: chart=bars metric=*_p50|*_p99 group=bench series=stat label=delay_us,notify
# caption: Wake-up latency of the sync family: the p50 and p99 of set to waiter running (Event),
# caption: notify to waiter running (Condition, one or all) and a Timer's lateness past its delay,
# caption: a bar per benchmark and parameters, log y. Every timed wake-up is of a sleeping waiter,
# caption: so each includes a context switch.
#
# plots/sync.gp - wake-up latencies of the lesson's synchronisation
# objects, p50 and p99 side by side: Event set to each waiter running,
# Condition notify to the waiter running, Timer lateness past its delay,
# Timer cancel; log y, since a wake-up is microseconds and a timer's
# lateness can be a scheduler tick.
#
# `contend plot DIR` passes datafile (a header, then a line per
# configuration: median, low, high per series), fmt, nseries, subtitle,
# machine, ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1400,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1400,650 dynamic font "sans,10" noenhanced
}
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set encoding utf8
set format y "%.0s %cs"
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror rotate by -30 left noenhanced
set ytics nomirror
set ylabel "latency (median over rounds, 95% CI)"
set key outside right top vertical Left reverse noenhanced title "percentile"
set bmargin 9
set title sprintf("contend: synchronisation latency, p50 and p99\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "event: set to waiter running; cond: notify to waiter running; timer: lateness past the delay; cancel: one cancel. tasks = waiters + 1 setter." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i) * 1e-9):(column(3+3*i) * 1e-9):(column(4+3*i) * 1e-9):xtic(1) \
	title columnhead(2+3*i)
