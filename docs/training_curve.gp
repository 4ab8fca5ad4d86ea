# The training curve of the quick start, drawn from the loss.csv it writes:
#   gnuplot -e "csv='quickstart-output/loss.csv'; png='docs/images/training_curve.png'" docs/training_curve.gp
set datafile separator ','
set terminal pngcairo size 800,420 font ',10'
set output png
set title 'Quick start on binarized Fashion-MNIST: batch 32, Adam 1e-3, 2 cores'
set xlabel 'step'
set ylabel 'training loss (nats per image)'
set logscale y
set yrange [80:600]
set ytics (80, 100, 150, 200, 300, 400, 500)
set grid
# Each step's batch loss, and its mean over the last 50 steps.
plot csv using 1:2 every ::1 with points pt 7 ps 0.25 lc rgb '#a8a8f0' title 'batch loss', \
     '< awk -F, ''NR > 1 { s += $2; q[NR] = $2; if (NR > 51) s -= q[NR - 50]; if (NR >= 51) print $1 "," s / 50 }'' '.csv \
     using 1:2 with lines lw 2 lc rgb '#2828b0' title 'mean of 50 steps'
