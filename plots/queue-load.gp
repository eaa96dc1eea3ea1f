# contend: chart=bars metric=latency_p50 group=capacity series=bench where=mode:thread,threads:min,bench:!cooks label=load
# caption: An item's median latency (put to get) per queue and capacity, flat out (load 0) and
# caption: paced at half the queue's own throughput (load 50). Paced, a queue with room should hand
# caption: an item over in microseconds; a bar as high as the flat-out one says the queue was
# caption: already overloaded.
#
# plots/queue-load.gp - the median put to get latency against the
# queue's capacity, flat out and paced, a bar per queue and load, at the
# fewest tasks each queue ran (one producer, one consumer); log y.
# load=0: producers run flat out, a bounded queue stays full and an item
# waits for the capacity ahead of it (capacity x ns_per_item).  load=L:
# producers put at L % of the items/s the configuration moved flat out,
# open loop, the latency counted from the time each item was due (no
# coordinated omission): the hand-off at that load.
#
# `contend plot DIR` passes datafile, fmt, nseries, subtitle, machine,
# ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1300,620 font "sans,10" noenhanced
} else {
	set terminal svg size 1300,620 dynamic font "sans,10" noenhanced
}
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y "%.0s %cs"
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror noenhanced
set ytics nomirror
set xlabel "capacity (items; 0 = unbounded)"
set ylabel "put to get latency, p50 (median of rounds, 95% CI)"
set key outside right top vertical Left reverse noenhanced
set bmargin 5
set title sprintf("contend: queue latency flat out (load=0, the queue full) and paced (load=L %% of the flat-out rate): one producer, one consumer\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Threads. Paced: open loop, latency from the time each item was due. A missing bar: no such capacity (rings are bounded)." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i) * 1e-9):(column(3+3*i) * 1e-9):(column(4+3*i) * 1e-9):xtic(1) \
	title columnhead(2+3*i)
