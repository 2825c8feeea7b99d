# scaling.gp - throughput (or fairness) against threads as small multiples:
# a panel per placement, a line per implementation, kprim's drawn solid
# and thick, the peers' dashed and thin, error bars from the repetitions'
# stddev, and the oversubscribed thread counts (more threads than the run's
# CPUs) on a grey ground.
#
# Variables: datafile (panel p reads datafile.p: blocks separated by two
# blank lines, one per series: threads, value, stddev), npanels, panelp
# (panel p's title), titlesp (a word per series), kprimp (per series 1 for
# kprim, 0 for a peer), cpus (threads beyond it are oversubscribed),
# plottitle, ylab, outfile, fmt, width, height.
if (!exists("datafile") || !exists("outfile") || !exists("npanels")) {
	print "scaling.gp: set datafile, outfile, fmt, npanels and panel1.., titles1.., kprim1.."
	exit status 2
}
load "plots/common.gp"
if (!exists("ylab")) ylab = "Mops/s, all threads (median; bar: stddev)"
set multiplot layout 1, npanels title plottitle
set xlabel "threads"
set ylabel ylab
set logscale x 2
set xrange [0.8:*]
set yrange [0:*]
set key bottom left font ",8" samplen 2
if (exists("cpus")) {
	set object 1 rect from cpus * 1.41, graph 0 to graph 1, graph 1 behind \
		fc rgb "#eeeeee" fs solid noborder
	set label 1 "oversubscribed" at graph 0.98, graph 0.97 right font ",8" tc rgb "#777777"
}
do for [p=1:npanels] {
	set title value(sprintf("panel%d", p))
	t = value(sprintf("titles%d", p))
	k = value(sprintf("kprim%d", p))
	plot for [i=1:words(t)] sprintf("%s.%d", datafile, p) index (i-1) using 1:2:3 \
		with yerrorlines lw (word(k, i) eq "1" ? 2.5 : 1) dt 1+(word(k, i) ne "1") \
		lt ((i-1)%8+1) pt ((i-1)%13+1) title word(t, i)
}
unset multiplot
