# contend: chart=cdf metric=gil_hold where=bench:cpu,mode:thread,threads:max label=gil,threads
# caption: How long a CPU-bound thread holds the global lock once it has it: the cumulative
# caption: distribution of hold times (from histograms.csv), a line per policy at the most threads
# caption: run. Read the x where a line reaches 0.5 as the median hold; `new` holds about its
# caption: switch interval, `old` about a check interval's ticks, so its line sits far to the left.
#
# plots/gil-hold.gp - how long a thread holds the global lock once it
# has it: the cumulative distribution (and its tail) of hold times of
# the CPU-bound threads, per policy, from histograms.csv.  `new` holds
# about one interval at a time; `old` lets go when the process-wide
# ticker runs out (once in check_ticks + 1 ticks: 33.7 countdown
# iterations at 100) and takes it straight back.
#
# `contend plot DIR` passes datafile (a block per series: bucket upper
# edge in ns, fraction at or below), fmt, nseries, series, subtitle,
# machine, ncpus.

set datafile separator "\t"
set datafile missing "NaN"
if (fmt eq "png") {
	set terminal pngcairo size 1300,620 font "sans,10" noenhanced
} else {
	set terminal svg size 1300,620 dynamic font "sans,10" noenhanced
}
set encoding utf8
set xlabel "time the lock is held, per take (log scale)"
set logscale x
set format x "%.0s %cs"
set xtics nomirror
set ytics nomirror
set grid xtics mxtics ytics mytics lc rgb "#dddddd"
set border 3
set multiplot title sprintf("contend: global lock hold time, CPU-bound threads\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "Harness clock at each take and release of the simulated interpreter's lock; every take timed (latency rounds)." at screen 0.01, screen 0.02 font ",9" noenhanced
left = 0.06
right = 0.76
w = (right - left) / 2
set tmargin at screen 0.88
set bmargin at screen 0.12
set lmargin at screen left
set rmargin at screen left + w - 0.03
set ylabel "fraction of holds at or below"
set yrange [0:1.02]
set ytics 0.1
unset key
set title "cumulative distribution" noenhanced
plot for [s=0:nseries-1] datafile index s using ($1 * 1e-9):2 with steps lw 1.6 \
	lt (s % 8 + 1) title word(series, s + 1)
unset label 100
set lmargin at screen left + w + 0.03
set rmargin at screen right
set logscale y
set format y "%g"
set yrange [*:1.5]
set ytics auto
set ylabel "fraction of holds longer (1 - CDF)"
set title "the tail: 1 - CDF, log scale" noenhanced
set key at screen 0.995, screen 0.88 top right Left reverse noenhanced font ",10"
plot for [s=0:nseries-1] datafile index s using ($1 * 1e-9):(1 - $2 > 0 ? 1 - $2 : NaN) \
	with steps lw 1.6 lt (s % 8 + 1) title word(series, s + 1)
unset multiplot
