# plots/history.gp - one series of a results history (`contend history
# plot`): the median of each run in the order the runs were appended
# (git revision on x), its 95 % confidence interval as a band, and a
# dashed line before the first run after each persistent shift that
# history's change-point detection found.
#
# `contend history plot` passes: datafile (tab-separated: index, median,
# ci95_lo, ci95_hi, revision), title, changes (the indices of the first
# run after each shift, space-separated, maybe empty), and takes the
# PNG from standard output.

set datafile separator "\t"
set terminal pngcairo size 1000,480 noenhanced font ",10"
set title title noenhanced
set ylabel "median, 95% CI band"
set xlabel "git revision (runs in the order they were appended)"
set grid ytics lc rgb "#dddddd"
set key top left noenhanced
set xtics rotate by -45 nomirror
set ytics nomirror
set border 3
set offsets 0.5, 0.5, 0, 0
set yrange [*:*]
do for [c in changes] {
	set arrow from (c - 0.5), graph 0 to (c - 0.5), graph 1 nohead dt 2 lw 2 lc rgb "#c0392b"
}
plot datafile using 1:3:4 with filledcurves fc rgb "#bcd3ea" fs solid 0.6 title "95% CI of the median", \
     datafile using 1:2:xtic(5) with linespoints pt 7 ps 0.8 lw 1.5 lc rgb "#1f4e79" title "median", \
     NaN with lines dt 2 lw 2 lc rgb "#c0392b" title (strlen(changes) ? "persistent shift" : "no persistent shift")
