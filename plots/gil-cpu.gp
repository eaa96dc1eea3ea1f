# contend: chart=bars metric=time_vs_sequential group=threads series=gil where=bench:cpu label=mode scale=linear
# caption: T CPU-bound interpreters against the same work done sequentially: T_run / T_seq per lock
# caption: policy, a group per task count (threads share one lock; processes have one each). 1
# caption: means no speed-up (the lesson's GIL), 1/T is a perfect split; bars below 1 are a speed-
# caption: up. Whiskers are the 95 % interval of the median.
#
# plots/gil-cpu.gp - T CPU-bound "Python" threads against the same work
# done sequentially: T_threads / T_seq per lock policy (processes: each
# its own lock).  1 means the threads bought nothing (the lesson's
# point); below 1 they ran in parallel (processes, no lock); above 1
# the lock itself cost time (`old` on several cores).
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
set yrange [0:*]
set grid ytics lc rgb "#dddddd"
set border 3
set xtics nomirror noenhanced
set ytics nomirror
set xlabel "tasks, and whether they are threads under one lock or processes"
set ylabel "time together / time one after another (median, 95% CI)"
set key outside right top vertical Left reverse noenhanced title "gil"
set bmargin 5
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#555555"
set title sprintf("contend: CPU-bound countdown(n), T tasks against the sequential program\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Dashed: 1, no gain. Sequential = each task alone in turn (the harness's baseline), the same work." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
	title columnhead(2+3*i)
