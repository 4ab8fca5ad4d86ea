#!/usr/bin/env bash
# The pixelcnn4j benchmark (docs/BENCHMARKS.md): the engine against the same PixelCNN in LibTorch,
# side by side in one run (same threads, data and initial weights; medians of repetitions after a
# warm-up, engine and LibTorch interleaved, min and max shown; LibTorch default and tuned each in a
# child JVM started alike), ONNX Runtime as the scoring peer, peak memory, efficiency against
# OpenBLAS sgemm and the scaling charts.
#
#   bench/run.sh                 full run (about 30 minutes on 2 cores): bench/results/latest.{md,json},
#                                bench/results/scaling_*.csv and bench/results/scaling_*.png
#   bench/run.sh --quick         fewer repetitions and sizes, to check that it works (a few minutes)
#   bench/run.sh --only training|likelihood|onnx|sampling|efficiency|memory|scaling   (comma-separated list)
#   bench/run.sh --models LIST   reference models to run, e.g. fm-gated (comma-separated; default all)
#   bench/run.sh --threads N     threads for the engine, LibTorch and OpenBLAS (default: all cores)
#   bench/run.sh --reps N        timed repetitions per figure (default 5, --quick 3)
#   bench/run.sh --naive-rows N  rows of the image naive sampling is timed on (default 1, then scaled)
#   bench/run.sh --out DIR       where results go; default bench/results for a full run and
#                                bench/results/partial for --quick, --only or --models (latest.* stays intact)
#   bench/run.sh --no-build      use the existing build as it is
#
# Builds first when needed (mvn -B -q -DskipTests install, then the test class path). The charts need
# gnuplot (Debian package gnuplot-nox), installed here when missing (with sudo unless root).
set -euo pipefail
cd "$(dirname "$0")/.."

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }

java_args=()
quick=0
only=""
models=0
out=""
build=1
while [ $# -gt 0 ]; do
    case "$1" in
        --quick) quick=1; java_args+=(--quick) ;;
        --only) only="${2:?--only needs a section}"; java_args+=(--only "$2"); shift ;;
        --threads|--reps|--naive-rows) java_args+=("$1" "${2:?$1 needs a number}"); shift ;;
        --models) models=1; java_args+=(--models "${2:?--models needs model names}"); shift ;;
        --out) out="${2:?--out needs a directory}"; shift ;;
        --no-build) build=0 ;;
        -h|--help) usage; exit 0 ;;
        *) echo "bench/run.sh: unknown argument $1 (see --help)" >&2; exit 2 ;;
    esac
    shift
done
if [ -z "$out" ]; then
    if [ "$quick" = 1 ] || [ -n "$only" ] || [ "$models" = 1 ]; then out=bench/results/partial; else out=bench/results; fi
fi
java_args+=(--out "$out")

# ---------------------------------------------------------------- build if needed
stamp=target/bench.stamp
needs_build() {
    [ -f target/test.classpath ] && [ -f target/test-classes/org/pixelcnn4j/bench/Benchmark.class ] \
        && [ -d target/classes ] && [ -d target/native ] && [ -f "$stamp" ] || return 0
    [ -n "$(find src native pom-core.xml -newer "$stamp" -type f -print -quit 2>/dev/null)" ]
}
if [ "$build" = 1 ] && needs_build; then
    echo "bench/run.sh: building (mvn -B -q -DskipTests install)"
    mvn -B -q -DskipTests install
    mvn -B -q -f pom-core.xml dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
    touch "$stamp"
fi

# ---------------------------------------------------------------- the benchmark
mkdir -p "$out"
java --enable-native-access=ALL-UNNAMED \
    -cp "target/test-classes:target/classes:target/native:$(cat target/test.classpath)" \
    org.pixelcnn4j.bench.Benchmark "${java_args[@]}"

# ---------------------------------------------------------------- the charts
[ -f "$out/scaling_slopes.gp" ] && [ -f "$out/scaling_batch.csv" ] || exit 0
case ",$only," in ,,|*,scaling,*) ;; *) exit 0 ;; esac
if ! command -v gnuplot >/dev/null 2>&1; then
    echo "bench/run.sh: installing gnuplot-nox for the charts"
    sudo_=""
    [ "$(id -u)" = 0 ] || sudo_=sudo
    { $sudo_ apt-get install -y -q gnuplot-nox || { $sudo_ apt-get update -q && $sudo_ apt-get install -y -q gnuplot-nox; }; } >/dev/null \
        || { echo "bench/run.sh: could not install gnuplot; the CSV files are in $out, no charts" >&2; exit 0; }
fi
terminal="pngcairo size 900,600 font ',11'"
gnuplot -e 'set terminal pngcairo' >/dev/null 2>&1 || terminal="png size 900,600"
gnuplot <<EOF
load '$out/scaling_slopes.gp'
set terminal $terminal
set datafile separator ','
set logscale xy
set grid
set key top left
set style data yerrorlines
set pointsize 1.2
set offsets graph 0.04, graph 0.04, 0, 0
fmt(s) = (s == s) ? sprintf('%.2f', s) : 'n/a'

set output '$out/scaling_batch.png'
set title sprintf("fm-binary training: time per step vs batch size (%d threads; log-log)\nslope: engine %s, LibTorch default %s", threads, fmt(slope_batch_engine), fmt(slope_batch_torch))
set xlabel 'batch size'
set ylabel 'seconds per training step (median, min to max)'
set logscale x 2
if (has_torch) {
    plot '$out/scaling_batch.csv' using 1:2:3:4 title 'pixelcnn4j engine' lw 2, \
         '' using 1:5:6:7 title 'LibTorch default' lw 2
} else {
    plot '$out/scaling_batch.csv' using 1:2:3:4 title 'pixelcnn4j engine' lw 2
}
set logscale x 10

set output '$out/scaling_image.png'
set title sprintf("engine training (fm-binary architecture, batch 32): time per step vs image size (log-log)\nslope against pixels: %s", fmt(slope_pixels_engine))
set xlabel 'pixels per image (16x16, 28x28, 64x64)'
plot '$out/scaling_image.csv' using 2:3:4:5 title 'pixelcnn4j engine' lw 2

set output '$out/scaling_channels.png'
set title sprintf("engine training (28x28, batch 32): time per step vs hidden channels (residual = hidden/2; log-log)\nslope: %s", fmt(slope_hidden_engine))
set xlabel 'hidden channels'
set logscale x 2
plot '$out/scaling_channels.csv' using 1:2:3:4 title 'pixelcnn4j engine' lw 2
set logscale x 10

set output '$out/scaling_sampling.png'
set title sprintf("engine sampling (fm-binary architecture, batch %d): time per image vs image size (log-log)\nslope against pixels: cached %s, naive %s (naive timed on %d row(s), scaled)", sampling_batch, fmt(slope_sampling_cached), fmt(slope_sampling_naive), naive_rows)
set xlabel 'pixels per image'
set ylabel 'seconds per image (median, min to max)'
plot '$out/scaling_sampling.csv' using 2:3:4:5 title 'cached sampler' lw 2, \
     '' using 2:6:7:8 title 'naive sampler (a full forward pass per pixel)' lw 2
EOF
echo "charts: $out/scaling_batch.png $out/scaling_image.png $out/scaling_channels.png $out/scaling_sampling.png"
