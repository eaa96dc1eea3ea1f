# contend: chart=bars metric=items_per_sec group=capacity series=bench where=mode:thread,threads:min,load:0
# caption: Items per second of each queue at the fewest producers and consumers, a group per
# caption: capacity (1, 16, 1024, 0 = unbounded), flat out. A bounded queue of capacity 1 hands
# caption: every item over with a wake-up; larger capacities let producers and consumers run in
# caption: batches.
#
# plots/queue-capacity.gp - items per second against the queue's
# capacity (0: unbounded), a bar per queue, at the fewest tasks each
# queue ran (one producer, one consumer; the cooks scene at its 13);
# log y.  A capacity of 1 makes every put wait for a get: a hand-off,
# two wake-ups per item.  Every queue, ring included, holds exactly its
# capacity.  Flat-out configurations (load=0) only.
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
set format y "%.0s%c"
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror noenhanced
set ytics nomirror
set xlabel "capacity (items; 0 = unbounded)"
set ylabel "items per second (median, 95% CI)"
set key outside right top vertical Left reverse noenhanced
set bmargin 5
set title sprintf("contend: queue throughput against capacity, one producer and one consumer (cooks: 3 and 10)\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Threads. A missing bar: that queue has no such capacity (rings are bounded; cooks is Queue(10))." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
	title columnhead(2+3*i)
