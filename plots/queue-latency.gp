# contend: chart=cdf metric=latency where=mode:thread,threads:min,capacity:max,load:0 label=capacity,threads
# caption: How long an item waited in the queue (put to get): the cumulative distribution at the
# caption: fewest tasks and the largest capacity, flat out, from histograms.csv (log x). Flat out a
# caption: bounded queue stays full, so the latency is about capacity times the time per item.
#
# plots/queue-latency.gp - how long an item waited between put and get:
# the cumulative distribution over the sampled items, at the fewest
# tasks and the largest bounded capacity each queue ran, from
# histograms.csv.  A full queue holds items longer: latency follows
# capacity once producers outrun consumers: flat out (load=0), the
# queue full, an item waits for capacity x ns_per_item.  The hand-off
# at a stated load is in queue-load.png.
#
# `contend plot DIR` passes datafile (a block per series: bucket upper
# edge in ns, fraction at or below), fmt, nseries, series, subtitle,
# machine, ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1300,650 font "sans,10" noenhanced
} else {
	set terminal svg size 1300,650 dynamic font "sans,10" noenhanced
}
set encoding utf8
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Harness clock stamped at put, read at get; threads; log-linear buckets, about 1 % wide." at screen 0.01, screen 0.02 font ",9" noenhanced
set xlabel "put to get latency (log scale)"
set logscale x
set format x "%.0s %cs"
set xtics nomirror
set ytics nomirror
set grid xtics mxtics ytics mytics lc rgb "#dddddd"
set border 3
set multiplot title sprintf("contend: queue latency, put to get\nrun %s", subtitle) noenhanced
left = 0.06
right = 0.74
w = (right - left) / 2
set tmargin at screen 0.88
set bmargin at screen 0.12
set lmargin at screen left
set rmargin at screen left + w - 0.03
set ylabel "fraction of items at or below"
set yrange [0:1.02]
set ytics 0.1
unset key
set title "cumulative distribution" noenhanced
plot for [s=0:nseries-1] datafile index s using ($1 * 1e-9):2 with steps lw 1.5 \
	lt (s % 8 + 1) title word(series, s + 1)
unset label 100
set lmargin at screen left + w + 0.03
set rmargin at screen right
set logscale y
set format y "%g"
set yrange [*:1.5]
set ytics auto
set ylabel "fraction of items that waited longer (1 - CDF)"
set title "the tail: 1 - CDF, log scale (0.01 = p99, 0.001 = p999)" noenhanced
set key at screen 0.995, screen 0.88 top right Left reverse noenhanced font ",10"
plot for [s=0:nseries-1] datafile index s using ($1 * 1e-9):(1 - $2 > 0 ? 1 - $2 : NaN) \
	with steps lw 1.5 lt (s % 8 + 1) title word(series, s + 1)
unset multiplot
