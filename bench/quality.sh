#!/usr/bin/env bash
# Model quality at an equal wall-clock budget (docs/BENCHMARKS.md; issue 10): plain PixelCNN
# against Gated PixelCNN on Fashion-MNIST, 256 levels and binarized, and a class-conditional gated
# model against the unconditional one; each trains for the same minutes on this machine, then its
# test NLL (10,000 images) and a grid of samples are written to bench/results/quality/.
#
#   bench/quality.sh                       10 minutes per run, the five runs (about an hour on 2 cores)
#   bench/quality.sh --minutes 1 --runs plain-256,gated-256   a short check
#
# Runs: plain-256, gated-256, gated-256-c (10 classes), plain-binary, gated-binary, gated-binary-c.
# The machine should be otherwise idle: the budget is wall-clock time.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f target/test.classpath ] || [ ! -f target/test-classes/org/pixelcnn4j/bench/Quality.class ]; then
    mvn -B -q -DskipTests install
    mvn -B -q -f pom-core.xml dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
fi
exec java --enable-native-access=ALL-UNNAMED \
    -cp "target/test-classes:target/classes:target/native:$(cat target/test.classpath)" \
    org.pixelcnn4j.bench.Quality "$@"
