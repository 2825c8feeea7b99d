# scaling.gp - throughput against threads, one line per implementation and
# placement, error bars from the repetitions' stddev.
#
# Variables: datafile (blocks separated by two blank lines, one per series:
# threads, value, stddev), titles (one word per block), plottitle, outfile,
# fmt, and ylab (default: throughput).
if (!exists("datafile") || !exists("outfile") || !exists("titles")) {
	print "scaling.gp: set datafile, outfile, fmt and titles"
	exit status 2
}
load "plots/common.gp"
set title plottitle
set xlabel "threads"
if (!exists("ylab")) ylab = "Mops/s, all threads (median; bar: stddev)"
set ylabel ylab
set logscale x 2
set xrange [0.8:*]
set yrange [0:*]
set key outside right top
# Colours repeat after eight lines; point types tell those apart.
plot for [i=1:words(titles)] datafile index (i-1) using 1:2:3 with yerrorlines lw 2 \
	lt ((i-1)%8+1) pt ((i-1)%13+1) title word(titles, i)
