# Speedup and energy ratio of FuseMax vs FLAT and unfused against sequence
# length, per model (scope attention), from out/ratios.dat (ratios.awk).
# usage: gnuplot -e "dat='out/ratios.dat'; png='speedup-energy.png'" plot.gp
set terminal pngcairo size 1200,600 font ",10"
set output png
set multiplot layout 1,2 title "bert-base, trxl-wt103 and t5-small coincide (E = F = 64 per head: the ratios do not depend on the head count); xlm has E = F = 128" font ",10"
set logscale x 2
set format x "2^{%L}"
set xlabel "sequence length (tokens)"
set key below maxrows 4
set grid
models = "bert-base trxl-wt103 t5-small xlm"
set title "FuseMax attention speedup (simulated)"
set ylabel "speedup (x)"
plot for [i=0:3] dat index i using 1:2 with linespoints title word(models, i+1)." vs FLAT", \
     for [i=0:3] dat index i using 1:3 with linespoints dashtype 2 title word(models, i+1)." vs unfused"
set title "FuseMax attention energy / baseline (simulated)"
set ylabel "energy ratio"

plot for [i=0:3] dat index i using 1:4 with linespoints title word(models, i+1)." vs FLAT", \
     for [i=0:3] dat index i using 1:5 with linespoints dashtype 2 title word(models, i+1)." vs unfused"
unset multiplot
