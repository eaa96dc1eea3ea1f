# contend: chart=bars metric=charged_per_unit|kmem_per_unit|resident_per_unit group=bench series=metric where=n:max
# caption: Memory per live unit, at the most units held alive at once: what the kernel charged the
# caption: run's memory cgroup per unit (kernel stacks, page tables and slab included), its kernel
# caption: part, and the resident size, per carrier; log y. Threads cost kernel stacks and stack
# caption: pages, processes whole address spaces, coroutines a page or a few hundred bytes.
#
# plots/spawn-memory.gp - memory per live unit, n of them alive at once
# (each benchmark's largest n): what the kernel charges to the run's
# cgroup (user pages and its own: kernel stacks, page tables), the
# kernel's part alone, and the resident size (threads and coroutines:
# RSS; processes: PSS, so shared pages count once).  Log scale.
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
set format y "%.0s%cB"
set grid ytics mytics lc rgb "#dddddd"
set border 3
set xtics nomirror noenhanced rotate by -20
set ytics nomirror
set ylabel "bytes per live unit (median, 95% CI)"
set key outside right top vertical Left reverse noenhanced
set bmargin 7
set title sprintf("contend: memory per live unit, n alive at once\nrun %s", subtitle) noenhanced
about = ncpus > 0 ? sprintf("%s, %d processors. ", machine, ncpus) : ""
set label 100 about . "charged: the cgroup's growth over n (memory.usage_in_bytes or memory.current); kmem: its kernel part; resident: RSS (processes: PSS)." at screen 0.01, screen 0.02 font ",9" noenhanced
plot for [i=0:nseries-1] datafile \
	using (column(2+3*i)):(column(3+3*i)):(column(4+3*i)):xtic(1) \
	title columnhead(2+3*i)
