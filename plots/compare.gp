# compare.gp - one panel of a comparison: B's median time over A's per
# benchmark, sorted, on a log axis, with its 95 % interval; green where B
# is significantly faster, red where significantly slower, grey otherwise.
#
# Variables: datafile (index "label" ratio lo hi rgb), aname, bname, rows,
# xmin, xmax, xticlist ("0.5, 1, 2"), plottitle, outfile, fmt, height.
if (!exists("datafile") || !exists("outfile") || !exists("aname") || !exists("bname")) {
	print "compare.gp: set datafile, outfile, fmt, aname, bname, rows, xmin and xmax"
	exit status 2
}
width = 1000
load "plots/common.gp"
set title plottitle
set logscale x
set xrange [xmin:xmax]
eval sprintf("set xtics (%s)", xticlist)
set yrange [rows - 0.5:-0.5]
set xlabel sprintf("time %s / %s (below 1: %s is faster)", bname, aname, bname)
set ytics font ",9"
set grid xtics lc rgb "#dddddd"
set lmargin 46
set tmargin 4
set key at screen 0.5, screen 0.995 center top horizontal maxrows 1 samplen 1
set arrow from 1, graph 0 to 1, graph 1 nohead dt 2 lc rgb "black"
plot datafile using 3:1:4:5:6:ytic(2) with xerrorbars pt 7 ps 0.8 lc rgb variable notitle, \
	NaN with points pt 7 lc rgb "#228833" title "significantly faster", \
	NaN with points pt 7 lc rgb "#cc3311" title "significantly slower", \
	NaN with points pt 7 lc rgb "#999999" title "no significant change"
