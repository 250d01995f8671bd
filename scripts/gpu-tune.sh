#!/usr/bin/env bash
# Where the GPU time goes, and whether tuned convolutions help (issue 14). Run on the GPU
# machine from the repository root with the binaries of scripts/gpu-bundle.sh in
# target/gpu-bundle/. Writes to $OUT: log.txt (machine, CUDA tests, experiments),
# bench.md (ours: tuned (the default), then im2col (COOPNETS_CUDNN=im2col), two rounds,
# interleaved with PyTorch), torch.jsonl (PyTorch-CUDA's rows), profile.md (ours, per-kernel
# GPU time, COOPNETS_CUDA_PROFILE=1), torch_profile.txt (PyTorch's kernels, --profile, with
# TORCH_PROFILE=1), and the texture experiment on the GPU run once and as 500 iterations +
# --resume (log.txt compares their stats.csv; final.png, metrics.json). IM2COL=0 and RESUME=0
# leave out the im2col rounds and the experiments, PROFILE=0 the profile (PROFILE_FILTER: its
# workloads); WIDE_AB=1 adds a round with one GEMM per image for small maps
# (COOPNETS_CONV_WIDE=0); EXTEND_AB=1 a run per round with cuDNN kept off the geometries that
# need their input extended by zeros (COOPNETS_CUDNN_EXTEND=0); AB_ENV="NAME=VALUE" a run per
# round with that variable set; BASE_AB=1 a run per round of $B/xtask_base (an xtask built from
# the code before a change, copied in by hand).
set -u
. scripts/gpu-env.sh
F=${FILTER:-iteration}
W=${WORKLOADS:-texture,abp,coopnets-mnist}
ours() { # ours LABEL [ENV=VALUE...]: one bench run of the model workloads
  echo "== $1 ($(date +%T))" >> "$OUT/bench.md"; shift
  env "$@" timeout "${BENCH_S:-150}" "${XT:-$B/xtask}" bench --device cuda --threads 1 --iters 10 --warmup 3 --filter "$F" \
    >> "$OUT/bench.md" 2>> "$LOG"
}
echo "== cuda tests $(date +%T)" >> "$LOG"
timeout "${TESTS_S:-150}" "$B/cuda_tests" --test-threads 1 --nocapture >> "$LOG" 2>&1; echo "rc=$?" >> "$LOG"
for round in $(seq 1 "${ROUNDS:-2}"); do
  ours "round $round: ours, tuned (the default)"
  [ "${IM2COL:-1}" = 1 ] && ours "round $round: ours, im2col" COOPNETS_CUDNN=im2col
  [ "${BASE_AB:-0}" = 1 ] && XT=$B/xtask_base ours "round $round: ours, the code before (xtask_base)"
  [ -n "${AB_ENV:-}" ] && ours "round $round: ours, $AB_ENV" $AB_ENV
  [ "${EXTEND_AB:-0}" = 1 ] && ours "round $round: ours, no zero-extended inputs on cuDNN" COOPNETS_CUDNN_EXTEND=0
  echo "== round $round: pytorch" >> "$LOG"
  timeout "${BENCH_S:-150}" python3 bench/torch_cuda/coopnets_bench_cuda.py --workloads "$W" --iters 10 --warmup 3 \
    >> "$OUT/torch.jsonl" 2>> "$LOG"
done
[ "${WIDE_AB:-0}" = 1 ] && ours "ours, one GEMM per image (COOPNETS_CONV_WIDE=0)" COOPNETS_CONV_WIDE=0
if [ "${PROFILE:-1}" = 1 ]; then
  echo "== profile: ours (tuned, the default)" >> "$OUT/profile.md"
  COOPNETS_CUDA_PROFILE=1 timeout 150 "$B/xtask" bench --device cuda --threads 1 --iters 3 --warmup 1 --filter "${PROFILE_FILTER:-$F}" \
    >> "$OUT/profile.md" 2>> "$LOG"
fi
if [ "${TORCH_PROFILE:-0}" = 1 ]; then
  PYTHONUNBUFFERED=1 timeout 150 python3 bench/torch_cuda/coopnets_bench_cuda.py --workloads "$W" --iters 3 --warmup 1 \
    --profile > /dev/null 2> "$OUT/torch_profile.txt"
fi
[ "${RESUME:-1}" = 1 ] || { tail -5 "$OUT/bench.md"; exit 0; }
# --resume on the GPU: 500 iterations, then resumed to the default 1000, against one run of 1000
T=/tmp/texture-cuda
x() { timeout 120 "$B/xtask" experiment texture --device cuda "$@" 2>&1 | grep -v "^\s*$" | tail -3 >> "$LOG"; }
echo "== experiment texture --device cuda: one run, then 500 + --resume" >> "$LOG"
x --out $T-straight
x --out $T-resumed --iterations 500
x --out $T-resumed --resume
for r in straight resumed; do echo "$r: $(tail -1 $T-$r/stats.csv)" >> "$LOG"; done
cmp $T-straight/stats.csv $T-resumed/stats.csv >> "$LOG" 2>&1 && echo "stats.csv identical" >> "$LOG"
python3 -c "import json,glob; p=sorted(glob.glob('$T-resumed/checkpoints/ckpt_*.json'))[-1]; m=json.load(open(p)); print(p, 'conv_choices:', m.get('conv_choices','').splitlines())" >> "$LOG" 2>&1
for f in final.png metrics.json; do cp "$T-straight/$f" "$OUT/texture_$f" 2>/dev/null; done
tail -5 "$OUT/bench.md"
exit 0
