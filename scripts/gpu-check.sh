#!/usr/bin/env bash
# Run on a GPU machine that has no Rust toolchain, from the repository root, with the
# binaries of scripts/gpu-bundle.sh in target/gpu-bundle/. Writes to $OUT (few files, since
# few come back; ROUNDS=1, TORCH=0, CUDNN_AB=0 make it shorter): log.txt (machine, CUDA tests, NCCL test, experiment), bench_ours.md and
# bench_torch.jsonl (both rounds, interleaved: ours, PyTorch, ours, PyTorch), and the texture
# experiment's final.png and metrics.json; with MNIST_ITERS=N, also `experiment coopnets-mnist`
# for N iterations (its metrics.json with the Parzen log-likelihoods, and coopnets.png).
# The CUDA libraries come from the image (CUDA 13 toolkit and the Python packages' nvidia/*/lib);
# cudarc loads them by name at run time.
set -u
. scripts/gpu-env.sh
echo "== cuda tests" | tee -a "$LOG"
timeout "${TESTS_S:-120}" "$B/cuda_tests" --test-threads 1 >> "$LOG" 2>&1; rc=$?; echo "rc=$rc" >> "$LOG"
if [ $rc -ne 0 ]; then
  echo "== cuda tests failed: again without cuDNN (COOPNETS_CUDNN=0), which the rest then uses" | tee -a "$LOG"
  export COOPNETS_CUDNN=0
  timeout "${TESTS_S:-120}" "$B/cuda_tests" --test-threads 1 >> "$LOG" 2>&1; echo "rc=$?" >> "$LOG"
fi
echo "== nccl (world of one)" | tee -a "$LOG"
timeout 60 "$B/dist_tests" --nocapture >> "$LOG" 2>&1; echo "rc=$?" >> "$LOG"
W=${WORKLOADS:-kernels,texture,abp,coopnets-mnist}
for round in $(seq 1 "${ROUNDS:-2}"); do
  echo "== round $round: ours" | tee -a "$OUT/bench_ours.md"
  timeout "${BENCH_S:-100}" "$B/xtask" bench --device cuda --threads 1 --iters 10 --warmup 3 ${FILTER:+--filter "$FILTER"} \
    >> "$OUT/bench_ours.md" 2>&1
  [ "${TORCH:-1}" = 1 ] || continue
  echo "== round $round: pytorch" | tee -a "$LOG"
  timeout "${BENCH_S:-100}" python3 bench/torch_cuda/coopnets_bench_cuda.py --workloads "$W" --iters 10 --warmup 3 \
    >> "$OUT/bench_torch.jsonl" 2>> "$LOG"
done
if [ "${CUDNN_AB:-1}" = 1 ] && [ -z "${COOPNETS_CUDNN:-}" ]; then
  echo "== ours with im2col only (COOPNETS_CUDNN=im2col), the 16-chain textures" | tee -a "$OUT/bench_ours.md"
  COOPNETS_CUDNN=im2col timeout 60 "$B/xtask" bench --device cuda --threads 1 --iters 10 --warmup 3 --filter "c16 iteration" \
    >> "$OUT/bench_ours.md" 2>&1
fi
echo "== experiment texture --device cuda" | tee -a "$LOG"
timeout "${TEXTURE_S:-150}" "$B/xtask" experiment texture --device cuda --out /tmp/texture-cuda >> "$LOG" 2>&1
for f in final.png metrics.json; do cp "/tmp/texture-cuda/$f" "$OUT/texture_$f" 2>/dev/null; done
if [ -n "${MNIST_ITERS:-}" ]; then
  echo "== experiment coopnets-mnist --device cuda --iterations $MNIST_ITERS" | tee -a "$LOG"
  timeout "${MNIST_S:-200}" "$B/xtask" experiment coopnets-mnist --device cuda --iterations "$MNIST_ITERS" \
    --out /tmp/mnist-cuda 2>&1 | grep -v "^\s*$" | tail -20 >> "$LOG"
  for f in metrics.json coopnets.png; do cp "/tmp/mnist-cuda/$f" "$OUT/mnist_$f" 2>/dev/null; done
fi
tail -3 "$OUT/bench_ours.md"
exit 0
