# strips.gp - the distribution of the repetitions, as small multiples: a
# panel per argument (an object size), a column of points per
# implementation (every repetition, spread sideways a little), a bar at
# the median. Where medians are close, this shows whether the spread
# overlaps.
#
# Variables: datafile (panel p reads datafile.p: impl-index ns per line,
# then "median impl-index ns" lines), npanels, cols, panelp (panel p's
# title), logyp (1: panel p spans more than a decade, drawn on a log
# axis), impls (a word per implementation), plottitle, outfile, fmt,
# width, height.
if (!exists("datafile") || !exists("outfile") || !exists("npanels")) {
	print "strips.gp: set datafile, outfile, fmt, npanels, cols, impls and panel1.."
	exit status 2
}
load "plots/common.gp"
rows = int((npanels + cols - 1) / cols)
set multiplot layout rows, cols title plottitle
set xrange [-0.6:words(impls) - 0.4]
set xtics () rotate by -35 font ",8"
do for [i=1:words(impls)] { set xtics add (word(impls, i) i - 1) }
set ylabel "ns per operation" font ",9"
set yrange [0:*]
unset key
do for [p=1:npanels] {
	set title value(sprintf("panel%d", p)) font ",10"
	if (value(sprintf("logy%d", p))) { set logscale y; set yrange [*:*] } \
	else { unset logscale y; set yrange [0:*] }
	f = sprintf("%s.%d", datafile, p)
	plot f using ($1 + 0.25 * (rand(0) - 0.5)):2 index 0 with points pt 7 ps 0.5 \
		lc rgb "#4477aa", \
	     f using 1:2:(0.3):(0) index 1 with vectors nohead lw 2 lc rgb "black"
}
unset multiplot
