# contend: chart=bars metric=overhead_per_task group=bench series=task_us where=task:work,threads:min
# caption: What a pool adds to each task at one worker: overhead per task (round time over tasks,
# caption: less the task's own time), a bar per pool and task length, log y. Lower is leaner; the
# caption: thread-per-task bars include creating and joining a thread each time.
#
# plots/pool-overhead.gp - what a task costs beyond its own work, per
# pool, at one worker (each pool's smallest worker count), a bar per task
# length; log y.  overhead_per_task = round time x the tasks that can run
# at once / tasks - one task's own time alone (bench/pool.c): the
# hand-over, the thread made per task (token pool, thread per task), the
# socket round trip (process pool).  A pool whose overhead is within the
# noise of the task's own time has no bar (a value <= 0 on a log axis;
# see the CSV).
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
set format y "%.0s%c"
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror rotate by -25 left noenhanced
set ytics nomirror
set ylabel "overhead per task (ns, median of rounds)"
set key outside right top vertical Left reverse noenhanced title "task_us"
set bmargin 7
set title sprintf("contend: what a pool adds to each task, one worker\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Tasks of calibrated CPU work; overhead = round time / tasks - one task's own time alone." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):xtic(1) \
	title columnhead(2+3*i)
