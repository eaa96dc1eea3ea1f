# contend: chart=bars metric=time_vs_sequential group=placement series=gil where=bench:cores scale=linear
# caption: Two CPU-bound threads under one global lock, both on one processor (same-core) and on
# caption: two (cross-core): the time they took together over the same work done one after another,
# caption: per lock policy. 1 means the threads bought nothing, 0.5 a perfect split; above 1 the
# caption: lock costs more than it lets run. The old GIL's bar higher on two cores than on one is
# caption: Beazley's finding.
#
# plots/gil-cores.gp - 2 CPU-bound threads under one lock, both on one
# processor (same-core) and on two (cross-core): T_threads / T_seq per
# policy.  On one processor the lock costs next to nothing; on two, the
# old lock's release-and-retake turns into a fight the waiter loses.
#
# `contend plot DIR` passes datafile, fmt, nseries, subtitle, machine,
# ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1000,600 font "sans,10" noenhanced
} else {
	set terminal svg size 1000,600 dynamic font "sans,10" noenhanced
}
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set boxwidth 0.9
set yrange [0:*]
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror noenhanced
set ytics nomirror
set xlabel "placement of the 2 threads"
set ylabel "time together / time one after another (median, 95% CI)"
set key outside right top vertical Left reverse noenhanced title "gil"
set bmargin 5
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#555555"
set title sprintf("contend: 2 CPU-bound threads on one core and on two\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Dashed: 1, the sequential time." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
	title columnhead(2+3*i)
