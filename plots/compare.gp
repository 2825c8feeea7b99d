# compare.gp - run B against run A: median time ratio per benchmark
# (below 1: B is faster).
#
# Variables: datafile (name, ratio), aname, bname, outfile, fmt, width.
if (!exists("datafile") || !exists("outfile") || !exists("aname") || !exists("bname")) {
	print "compare.gp: set datafile, outfile, fmt, aname and bname"
	exit status 2
}
load "plots/common.gp"
set title sprintf("%s vs %s", bname, aname)
set style data histogram
set style histogram clustered gap 1
set style fill solid 0.85 border -1
set ylabel sprintf("time ratio %s / %s (median)", bname, aname)
set yrange [0:*]
set xtics rotate by -60 font ",8"
set bmargin 14
set rmargin 10
plot datafile using 2:xtic(1) notitle lc rgb "#4477aa", 1 with lines dt 2 lc rgb "black" notitle
