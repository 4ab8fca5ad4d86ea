#!/usr/bin/env bash
# Coverage-guided fuzzing of pixelcnn4j's readers with Jazzer (Java) and of the engine's public C++
# API with libFuzzer (clang). Needs `mvn install` (or `mvn test-compile`) done first.
#
#   fuzz/run.sh                     every target for 60 s (what CI runs)
#   fuzz/run.sh SECONDS [TARGET...] the targets named (default: all) for SECONDS each
#   fuzz/run.sh --runs N [--seconds S] TARGET...  N executions each (or S seconds, whichever first)
#   fuzz/run.sh --seeds             rewrite the Java seed corpora in src/test/resources/fuzz/
#
# Java targets: CheckpointFuzzTarget, HeaderJsonFuzzTarget, IdxFuzzTarget, ImageFolderFuzzTarget.
# C++ target: fuzz_api (native/fuzz/fuzz_api.cpp, built with clang into target/fuzz/native).
# Each run starts from the committed seeds plus what earlier runs found (target/fuzz/corpus/),
# and stops at the first finding, whose input lands in target/fuzz/findings/TARGET/: copy it into
# the target's seed folder, where FuzzCorpusTest (Java) or ctest (C++) replays it from then on.
set -euo pipefail
cd "$(dirname "$0")/.."

JAZZER_VERSION=0.24.0
JAVA_TARGETS=(CheckpointFuzzTarget HeaderJsonFuzzTarget IdxFuzzTarget ImageFolderFuzzTarget)
NATIVE_TARGETS=(fuzz_api)
work=target/fuzz
# Scratch files of the targets: in memory where the system has a tmpfs (twice the executions).
scratch=/tmp
[ -d /dev/shm ] && [ -w /dev/shm ] && scratch=/dev/shm

limit=(-max_total_time=60)
if [ "${1:-}" = "--seeds" ]; then
    mode=seeds
elif [ "${1:-}" = "--runs" ]; then
    limit=(-runs="$2")
    shift 2
    # --runs N --seconds S: whichever comes first
    if [ "${1:-}" = "--seconds" ]; then
        limit+=(-max_total_time="$2")
        shift 2
    fi
elif [ -n "${1:-}" ]; then
    limit=(-max_total_time="$1")
    shift
fi
targets=("$@")
[ "${#targets[@]}" -gt 0 ] || targets=("${JAVA_TARGETS[@]}" "${NATIVE_TARGETS[@]}")

mkdir -p "$work"
java_classpath() {
    for jar in jazzer jazzer-api; do
        if [ ! -f "$work/$jar-$JAZZER_VERSION.jar" ]; then
            mvn -B -q dependency:copy -Dartifact=com.code-intelligence:$jar:$JAZZER_VERSION \
                -DoutputDirectory="$work" -Dmdep.stripVersion=false >&2
        fi
    done
    if [ ! -f "$work/classpath.txt" ] || [ pom-core.xml -nt "$work/classpath.txt" ]; then
        mvn -B -q -f pom-core.xml dependency:build-classpath -Dmdep.includeScope=test -Dmdep.outputFile="$work/classpath.txt" >&2
    fi
    echo "$work/jazzer-$JAZZER_VERSION.jar:$work/jazzer-api-$JAZZER_VERSION.jar:target/test-classes:target/classes:target/native:$(cat "$work/classpath.txt")"
}

if [ "${mode:-}" = seeds ]; then
    java -cp "$(java_classpath)" org.pixelcnn4j.fuzz.FuzzSeeds src/test/resources/fuzz
    exit 0
fi

package_of() {
    case "$1" in
        HeaderJsonFuzzTarget) echo org.pixelcnn4j.io ;;
        *) echo org.pixelcnn4j.fuzz ;;
    esac
}

status=0
for target in "${targets[@]}"; do
    corpus="$work/corpus/$target"
    findings="$work/findings/$target"
    mkdir -p "$corpus" "$findings"
    echo "== fuzzing $target (${limit[*]})"
    if [[ " ${NATIVE_TARGETS[*]} " == *" $target "* ]]; then
        native="$work/native"
        if [ ! -f "$native/CMakeCache.txt" ]; then
            # -O1: the fuzz build instruments the whole engine for coverage, ASan and UBSan, and
            # at -O2 it took 6.7 min on 2 cores; its inputs are tiny models, so speed is the pool's.
            CC=clang CXX=clang++ cmake -S native -B "$native" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
                -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -g1" \
                -DPIXELCNN_BLAS=none -DPIXELCNN_FUZZ=ON -DPIXELCNN_SANITIZE=address,undefined \
                -DPIXELCNN_BUILD_TESTS=OFF -DPIXELCNN_BUILD_BENCH=OFF \
                > "$native.log" 2>&1 || { cat "$native.log"; exit 1; }
        fi
        cmake --build "$native" --target "$target" >> "$native.log" 2>&1 || { tail -50 "$native.log"; exit 1; }
        # Workers sleep at once: each input builds a model and its pool, and spinning workers
        # only steal the fuzzer's core.
        PIXELCNN4J_SPIN_US=0 "$native/$target" "${limit[@]}" -rss_limit_mb=2048 -timeout=10 -print_final_stats=1 \
            -artifact_prefix="$findings/" "$corpus" "native/fuzz/corpus/$target" || status=1
    else
        # -Xss bounds the stack a parser may use; -Xmx, with libFuzzer's RSS limit, turns an
        # allocation that a small input should not cause into a finding.
        java -Xmx1g -Xss1m -Djava.io.tmpdir="$scratch" -cp "$(java_classpath)" com.code_intelligence.jazzer.Jazzer \
            --target_class="$(package_of "$target").$target" --instrumentation_includes='org.pixelcnn4j.**' \
            --reproducer_path="$findings" \
            "${limit[@]}" -rss_limit_mb=3072 -timeout=20 -print_final_stats=1 -artifact_prefix="$findings/" \
            "$corpus" "src/test/resources/fuzz/$target" || status=1
    fi
done
exit $status
