# contend: metric=switch series=bench group=placement
# caption: What one context switch costs, per mechanism (bars), grouped by placement: same-core
# caption: (both tasks share one processor, every exchange is a real switch) and cross-core (a
# caption: wake-up on another processor). Bars are medians, whiskers the 95 % interval of the
# caption: median; the y axis is logarithmic, so a coroutine switch (a few ns) and a process switch
# caption: (hundreds of ns to µs) fit on one chart. Lower is cheaper; compare bars within a group.
#
# plots/ctx.gp - what one context switch costs, per mechanism, grouped by
# placement: bars are medians, whiskers the 95 % confidence interval of
# the median; log scale, since a coroutine switch and a process switch
# differ by three orders of magnitude.
#
# `contend plot DIR` passes: datafile (tab-separated: group, then median,
# low, high per series), fmt (png or svg), nseries, subtitle (the run id),
# and takes the image from standard output (so that it can write it to a
# temporary file and rename it: no half-drawn chart on a full disk).

set datafile separator "\t"
set datafile missing "NaN"
set style data histogram
set style histogram errorbars gap 2 lw 1.5
set style fill solid 0.85 border -1
set boxwidth 0.9
set logscale y
set format y "%g"
set grid ytics mytics lc rgb "#dddddd"
set ylabel "ns per one-way switch (median, 95% CI)"
set xlabel "placement"
set key outside right top vertical Left reverse noenhanced
set title sprintf("contend: one-way context switch cost\nrun %s", subtitle) noenhanced
set xtics nomirror noenhanced
set ytics nomirror
set border 3
set yrange [*:*]

if (fmt eq "png") {
	set terminal pngcairo size 1200,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1200,650 dynamic font "sans,10" noenhanced
}
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
	title columnhead(2+3*i)
