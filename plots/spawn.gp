# contend: chart=bars metric=create_finish group=bench series=metric
# caption: What it costs to create a unit and see it finish (create + join or waitpid), per
# caption: carrier, log y: a process, a thread, a greenlet, a hub coroutine, and the real Python's
# caption: greenlet and gevent as reference rows. Lower is cheaper; compare the orders of
# caption: magnitude.
#
# plots/spawn.gp - what it costs to start a unit and wait for it to
# finish, a bar per carrier: a thread, a process (fork; posix_spawn of a
# tiny static program), a greenlet and a hub task (each with a stack of
# its own, mmap, or on one shared stack).  Log scale: they span four
# orders of magnitude.
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
set xtics nomirror noenhanced rotate by -20
set ytics nomirror
set ylabel "ns per create + finish (median, 95% CI)"
set key off
set bmargin 7
set title sprintf("contend: create and finish one unit\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "thread: pthread_create + join; fork: fork + waitpid; posix_spawn: + exec of a static program; greenlet: create, switch, return; hub: spawn + join. cpython.*: the real Python's greenlet and gevent." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
	title columnhead(2+3*i)
