#!/usr/bin/env bash
# The Spark figures of README "Scaling out" (spark/src/test/java/org/pixelcnn4j/spark/SparkBench.java):
# a standalone master and two workers on loopback, executors in JVMs of their own; scoring the
# 60,000 Fashion-MNIST training images (PNG bytes) on one executor of all cores and on one-core
# executors against one JVM, and the per-step cost of data-parallel training against local
# training for fm-binary at batch 32 and 256 and for models of 32 to 256 channels. Run it on a
# quiet machine (about 10 minutes on 2 cores).
#
#   bench/spark.sh            full run: bench/results/spark.md
#   bench/spark.sh --quick    10,000 images, one repetition, two models: bench/results/partial/spark.md
#
# Builds first (mvn -B -q -DskipTests install) when the module's jar is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

quick=()
out=bench/results/spark.md
if [ "${1:-}" = "--quick" ]; then
    quick=(--quick)
    out=bench/results/partial/spark.md
fi
version=$(sed -n 's|^  <version>\(.*\)</version>|\1|p' spark/pom.xml | head -1)
module_jar="spark/target/pixelcnn4j-spark-$version.jar"
if [ ! -f "$module_jar" ] || [ ! -d spark/target/test-classes ]; then
    mvn -B -q -DskipTests install
fi
mvn -B -q -f spark/pom.xml dependency:build-classpath -Dmdep.includeScope=test \
    -Dmdep.outputFile=target/test.classpath
java_options=$(sed -n 's|^    <spark.javaOptions>\(.*\)</spark.javaOptions>|\1|p' spark/pom.xml)
classpath="spark/target/test-classes:spark/target/classes:$(cat spark/target/test.classpath)"
# shellcheck disable=SC2086
java --enable-native-access=ALL-UNNAMED -Xss8m -Xmx6g $java_options \
    -Dpixelcnn4j.spark.moduleJar="$module_jar" -Dpixelcnn4j.spark.javaOptions="$java_options" \
    -Dsurefire.test.class.path="$classpath" -cp "$classpath" \
    org.pixelcnn4j.spark.SparkBench "${quick[@]}" "$out"
