# common.gp - terminal and output shared by every kprim plot.
# Expects: outfile, fmt ("png" or "svg"), and optionally width, height.
if (!exists("width")) width = 900
if (!exists("height")) height = 520
if (fmt eq "svg") {
	set terminal svg size width, height noenhanced dynamic background rgb "white" font "sans,11"
} else {
	set terminal pngcairo size width, height noenhanced font "sans,10"
}
set output outfile
set grid ytics lc rgb "#dddddd"
set border 3
set tics nomirror
