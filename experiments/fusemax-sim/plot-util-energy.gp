# FuseMax's 2D and 1D array utilization against sequence length, per model
# (scope attention), and the energy breakdown of every architecture at one
# point, from out/util.dat and out/energy.dat (run.sh).
# usage: gnuplot -e "util='out/util.dat'; energy='out/energy.dat'; png='util-energy.png'" plot-util-energy.gp
set terminal pngcairo size 1200,600 font ",10"
set output png
set multiplot layout 1,2
set logscale x 2
set format x "2^{%L}"
set xlabel "sequence length (tokens)"
set ylabel "utilization (busy cycles / cycles)"
set yrange [0:1.05]
set key below maxrows 4
set grid
models = "bert-base trxl-wt103 t5-small xlm"
set title "fusemax utilization, attention (the four models coincide within 0.3 points)"
plot for [i=0:3] util index i using 1:2 with linespoints title word(models, i+1)." 2D", \
     for [i=0:3] util index i using 1:3 with linespoints dashtype 2 title word(models, i+1)." 1D"
unset logscale x
set format x "%g"
set xlabel ""
set ylabel "energy (J)"
set yrange [0:*]
set style data histograms
set style histogram rowstacked
set style fill solid 0.8 border -1
set boxwidth 0.7
set xtics rotate by -30
set title "energy breakdown, attention, bert-base 64K tokens, batch 64"
plot for [c=2:7] energy using (column(c)/1e12):xtic(1) title columnheader(c)
unset multiplot
