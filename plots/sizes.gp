# sizes.gp - cost per operation against size, one line per implementation
# (log-log), error bars from the repetitions' stddev.
#
# Variables: datafile (blocks separated by two blank lines, one per series:
# size, ns, stddev), titles (one word per block), plottitle, outfile, fmt.
if (!exists("datafile") || !exists("outfile") || !exists("titles")) {
	print "sizes.gp: set datafile, outfile, fmt and titles"
	exit status 2
}
load "plots/common.gp"
set title plottitle
set xlabel "size (bytes)"
set ylabel "ns per operation (median; bar: stddev)"
set logscale x 2
set logscale y 10
set format x "%.0b%BB"
set key outside right top
plot for [i=1:words(titles)] datafile index (i-1) using 1:2:3 with yerrorlines lw 2 pt 7 title word(titles, i)
