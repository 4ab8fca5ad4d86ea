#!/usr/bin/env bash
# The GPU check, for a bare GPU machine (CUDA toolkit, CMake, ninja, a Python PyTorch; no Java, no
# internet): builds the engine with the CUDA backend, runs test_cuda (the CUDA backend against the
# CPU: every op through whole models, training, likelihood, cached = naive sampling bit for bit,
# batch-size invariance, CPU/GPU samples, device memory) and the GPU benchmark, engine and PyTorch
# side by side, ratios printed. Under 10 minutes on an H100/H200-class machine.
#
#   native/tests/gpu/run.sh [output folder]        (default: target/gpu)
#
# Writes build.log, test_cuda.log, bench-engine.log, bench-torch.log and summary.txt there.
set -euo pipefail
cd "$(dirname "$0")/../../.."
out="${1:-target/gpu}"
mkdir -p "$out"
build="$out/cmake"
arch="${PIXELCNN_CUDA_ARCHITECTURES:-native}"

nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader | tee "$out/summary.txt" || true
cmake -S native -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Release -DPIXELCNN_BLAS=none -DPIXELCNN_CUDA=ON \
    -DCMAKE_CUDA_ARCHITECTURES="$arch" > "$out/build.log" 2>&1
cmake --build "$build" --target test_cuda bench_engine >> "$out/build.log" 2>&1 || { tail -40 "$out/build.log"; exit 1; }

status=0
"$build/test_cuda" > "$out/test_cuda.log" 2>&1 || status=$?
tail -45 "$out/test_cuda.log"
echo "test_cuda exit code $status" | tee -a "$out/summary.txt"

# The engine on the GPU: training at batch 32, 128 and 512, likelihood at 256, cached sampling of
# 16 and 256 images against naive (naive timed over one row and scaled).
export PIXELCNN_BENCH_DEVICE=cuda:0
bench="$build/bench_engine"
: > "$out/bench-engine.log"
for model in fm-binary fm-256 rgb-32 fm-gated; do
    for batch in 32 128 512; do
        timeout 120 "$bench" train "$model" "$batch" 5 >> "$out/bench-engine.log" 2>&1 || echo "train $model $batch failed" >> "$out/bench-engine.log"
    done
    timeout 120 "$bench" likelihood "$model" 256 5 >> "$out/bench-engine.log" 2>&1 || echo "likelihood $model failed" >> "$out/bench-engine.log"
done
for batch in 16 256; do
    for model in fm-binary fm-256; do
        timeout 180 "$bench" sample "$model" "$batch" 3 1 >> "$out/bench-engine.log" 2>&1 || echo "sample $model $batch failed" >> "$out/bench-engine.log"
    done
done
grep -v '^RESULT' "$out/bench-engine.log"

# The same models in PyTorch (the modules of docs/interop.md), eager and torch.compile, and the
# ratios.
python3 bench/gpu_torch.py --engine "$out/bench-engine.log" > "$out/bench-torch.log" 2>&1 || true
cat "$out/bench-torch.log" | tee -a "$out/summary.txt"
exit $status
