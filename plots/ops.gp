# ops.gp - ns per operation: bars grouped by operation, one per
# implementation, error bars from the repetitions' stddev.
#
# Variables: datafile (whitespace table: op, then a value and stddev column
# per implementation, with a header row naming them), nseries, plottitle,
# outfile, fmt.
if (!exists("datafile") || !exists("outfile") || !exists("nseries")) {
	print "ops.gp: set datafile, outfile, fmt and nseries"
	exit status 2
}
load "plots/common.gp"
set title plottitle
set style data histogram
set style histogram errorbars gap 2 lw 1
set style fill solid 0.85 border -1
set ylabel "ns per operation (median; bar: stddev)"
set yrange [0:*]
set xtics rotate by -25
set key top left
plot for [i=1:nseries] datafile using (column(2*i)):(column(2*i+1)):xtic(1) title columnheader(2*i)
