# contend: chart=bars metric=throughput column=ctx_switches_per_op group=bench series=threads where=mode:thread,threads:max,cs_ns:max label=policy
# caption: Context switches per acquisition at the most tasks each lock ran (over-subscribed where
# caption: the machine allows), log y: a lock that sleeps pays a switch when it is taken, a spinner
# caption: that yields pays them as it spins. Empty where the machine could not count context
# caption: switches.
#
# plots/lock-switches.gp - context switches per acquisition at the most
# tasks each lock ran (over-subscribed where the machine allows: 2 x the
# processors), log y.  A lock that sleeps pays a switch only when it
# must wait; a spinner that yields pays one per failed turn; a spinner
# that never yields burns its whole time slice instead (few switches,
# little throughput: see lock.png).  Empty where the kernel gave no
# count; a lock with no switch at all has no bar (log axis; see the CSV).
#
# `contend plot DIR` passes datafile, fmt, nseries, subtitle, machine,
# ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1500,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1500,650 dynamic font "sans,10" noenhanced
}
set style data histogram
set style histogram clustered gap 1.5
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y "%g"
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror rotate by -35 left noenhanced
set ytics nomirror
set ylabel "context switches per acquisition (median of rounds)"
set key outside right top vertical Left reverse noenhanced title "tasks"
set bmargin 9
set title sprintf("contend: what waiting costs in context switches, at the most tasks each lock ran\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Software counter (perf context-switches), per acquisition; at the largest cs_ns of the run, threads." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):xtic(1) \
	title columnhead(2+3*i)
