# Requests/s against window for a/b/c/d, in-process and networked.
# Regenerate from this directory:  gnuplot plots.gp
set terminal svg size 960,480 dynamic font "sans,11"
set output "throughput.svg"
set termoption noenhanced
set multiplot layout 1,2
set logscale xy
set xlabel "window (requests in flight)"
set ylabel "requests/s"
set key below
set grid
set title "in-process: router_bench, 1 caller"
set yrange [10000:5000000]
plot "router_bench.dat" using 1:2 with linespoints title "a: direct CAF", \
     "" using 1:3 with linespoints title "b: by name", \
     "" using 1:4 with linespoints title "c: by handle", \
     "" using 1:5 with linespoints title "d: map of futures"
set title "networked: mesh_bench, 64 B\n(solid: work-stealing, dashed: sharing)"
set yrange [1000:1000000]
plot "mesh_bench.dat" using 1:2 with linespoints lc 1 title "a: D -> W", \
     "" using 1:3 with linespoints lc 2 title "b: one node", \
     "" using 1:4 with linespoints lc 3 title "c: plain CAF", \
     "" using 1:5 with linespoints lc 4 title "d: NATS", \
     "" using 1:6 with linespoints lc 1 dt 2 notitle, \
     "" using 1:7 with linespoints lc 2 dt 2 notitle, \
     "" using 1:8 with linespoints lc 3 dt 2 notitle, \
     "" using 1:9 with linespoints lc 4 dt 2 notitle
unset multiplot

# Nanoseconds per call (insert + reply + the timer's share) against calls in
# flight: core::pending_table against a multimap of deadlines, before and
# after timeout classes (deadline_bench.dat).
set terminal svg size 960,420 dynamic font "sans,11"
set output "deadlines.svg"
set logscale xy
set xlabel "calls in flight"
set ylabel "ns per call"
set key below
set grid
set yrange [5:100000]
set title "deadline_bench: different timeout per call (1 ms .. 10 s)"
plot "deadline_bench.dat" using 1:2 with linespoints title "pending_table (timeout classes)", \
     "" using 1:3 with linespoints title "pending_table before (a lane per value)", \
     "" using 1:4 with linespoints title "multimap + unordered_map"
