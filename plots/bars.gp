# bars.gp - clustered bars: one cluster per row (its label in column 1),
# one bar per value column, log scale (latency percentiles).
#
# Variables: datafile (a header line naming the columns, then "label v1 ..
# vN" rows), ncols (N), ylab, plottitle, outfile, fmt, width.
if (!exists("datafile") || !exists("outfile") || !exists("ncols")) {
	print "bars.gp: set datafile, outfile, fmt and ncols"
	exit status 2
}
load "plots/common.gp"
set title plottitle
set ylabel ylab
set logscale y
set style data histograms
set style histogram clustered gap 1
set style fill solid 0.8 border -1
set boxwidth 0.9
set xtics rotate by -30
set key outside right top autotitle columnheader
plot for [i=2:ncols+1] datafile using i:xtic(1)
