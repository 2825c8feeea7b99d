# workloads.gp - real programs under each allocator or lock (the workload
# suites), as mimalloc-bench shows them: per workload a bar per
# implementation, its median wall time over the base's (glibc's malloc, or
# glibc's pthread mutex) on top, its peak RSS over the base's below; the
# last group is the geometric mean. 1.0 is the base; lower is better.
#
# Variables: timefile, rssfile (whitespace tables: workload, then a ratio
# column per implementation, with a header row naming them), nseries,
# plottitle, outfile, fmt.
if (!exists("timefile") || !exists("rssfile") || !exists("outfile") || !exists("nseries")) {
	print "workloads.gp: set timefile, rssfile, outfile, fmt and nseries"
	exit status 2
}
if (!exists("height")) height = 760
load "plots/common.gp"
set style data histogram
set style histogram clustered gap 2
set style fill solid 0.85 border -1
set yrange [0:*]
set xtics rotate by -25
set key top left horizontal
set arrow 1 from graph 0, first 1 to graph 1, first 1 nohead dt 2 lc rgb "#444444" front
set multiplot layout 2, 1 title plottitle
set ylabel "wall time / base (median)"
plot for [i=1:nseries] timefile using (column(i + 1)):xtic(1) title columnheader(i + 1)
set ylabel "peak RSS / base (median)"
unset key
plot for [i=1:nseries] rssfile using (column(i + 1)):xtic(1) title columnheader(i + 1)
unset multiplot
