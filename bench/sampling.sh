#!/usr/bin/env bash
# Cached vs naive sampling and the limit ratio (cached sampling time / one forward pass of the
# same batch) for fm-binary and fm-256 at batch 16 and 64, engine only. Builds the engine if
# needed (mvn -DskipTests install), then runs target/cmake/bench_engine; writes the lines to
# bench/results/sampling.txt as well. Usage: bench/sampling.sh [reps] [naive_rows]
set -euo pipefail
cd "$(dirname "$0")/.."
reps=${1:-5}
naive_rows=${2:-1}
[ -x target/cmake/bench_engine ] || mvn -B -q -DskipTests install
out=bench/results/sampling.txt
{
    echo "# $(date -u +%Y-%m-%dT%H:%MZ) $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) threads"
    for model in fm-binary fm-256; do
        for batch in 16 64; do
            target/cmake/bench_engine sample "$model" "$batch" "$reps" "$naive_rows"
        done
    done
} | tee "$out"
