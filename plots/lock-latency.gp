# contend: chart=cdf metric=acquire where=mode:thread,threads:max,cs_ns:max label=policy,threads
# caption: How long one acquire waited: the cumulative distribution of the sampled acquisitions at
# caption: the most tasks each lock ran, from histograms.csv (log x). The further right a line's
# caption: top reaches, the longer its worst waits; a line that rises late is a lock whose waiters
# caption: sleep or queue.
#
# plots/lock-latency.gp - how long one acquire waited: the cumulative
# distribution of the sampled acquisitions (every `sample`-th) at the
# most tasks each lock ran and the largest cs_ns, from histograms.csv.
# A curve far to the right at its top is a lock with a long tail: the
# waits a starved task sees.
#
# `contend plot DIR` passes datafile (a block per series: bucket upper
# edge in ns, fraction of samples at or below it), fmt, nseries, series
# (quoted words), subtitle, machine, ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1500,720 font "sans,10" noenhanced
} else {
	set terminal svg size 1500,720 dynamic font "sans,10" noenhanced
}
set encoding utf8
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Harness clock around each sampled acquire, less two back-to-back readings (clock_pair_ns); threads; log-linear buckets, about 1 % wide." at screen 0.01, screen 0.02 font ",9" noenhanced
set xlabel "acquire latency (log scale)"
set logscale x
set format x "%.0s %cs"
set xtics nomirror
set ytics nomirror
set grid xtics mxtics ytics mytics lc rgb "#dddddd"
set border 3
set multiplot title sprintf("contend: lock acquire latency\nrun %s", subtitle) noenhanced
left = 0.06
right = 0.74
w = (right - left) / 2
set tmargin at screen 0.88
set bmargin at screen 0.12
set lmargin at screen left
set rmargin at screen left + w - 0.03
set ylabel "fraction of acquisitions at or below"
set yrange [0:1.02]
set ytics 0.1
unset key
set title "cumulative distribution" noenhanced
plot for [s=0:nseries-1] datafile index s using ($1 * 1e-9):2 with steps lw 1.5 \
	lt (s % 8 + 1) dt int(s / 8) + 1 title word(series, s + 1)
unset label 100
set lmargin at screen left + w + 0.03
set rmargin at screen right
set logscale y
set format y "%g"
set yrange [*:1.5]
set ytics auto
set ylabel "fraction of acquisitions that waited longer (1 - CDF)"
set title "the tail: 1 - CDF, log scale (0.01 = p99, 0.001 = p999)" noenhanced
set key at screen 0.995, screen 0.88 top right Left reverse noenhanced font ",10"
plot for [s=0:nseries-1] datafile index s using ($1 * 1e-9):(1 - $2 > 0 ? 1 - $2 : NaN) \
	with steps lw 1.5 lt (s % 8 + 1) dt int(s / 8) + 1 title word(series, s + 1)
unset multiplot
