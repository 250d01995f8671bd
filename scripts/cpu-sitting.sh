#!/usr/bin/env bash
# One sitting against PyTorch on this CPU (issue 12; BENCHMARKS.md): ROUNDS rounds (default 2)
# of ours at 1 and 2 threads, every workload in a process of its own under /usr/bin/time (for
# its peak RSS), then PyTorch at 1 and 2 threads (../shared/bench/torch_ref/coopnets_bench.py
# in TORCH_DIR, default /tmp/torchbench, set up as ../shared/bench/README.md says). Writes
# OUT (default /tmp/sitting): ours.rR.tT, torch.rR.tT.json, and table.md from
# scripts/sitting_table.py. Run from the repository root after `cargo build --release -p xtask`;
# nothing else should run meanwhile (`kill -STOP` long jobs, `kill -CONT` after).
# The batch-1 textures (0.14–0.8 s an iteration) are timed over 10 iterations after 2 warm-up
# ones on both sides, the others over 3 after 1: a median of 3 iterations of a 0.14 s workload
# moved by up to 20% with a neighbour's burst on a shared guest (stop 49).
set -eu
OUT=${OUT:-/tmp/sitting}; TORCH_DIR=${TORCH_DIR:-/tmp/torchbench}; ROUNDS=${ROUNDS:-2}
mkdir -p "$OUT"; ROOT=$(pwd)
# the FMA peak the shares are read against (../shared/bench/peak/fma_peak.c), before and after;
# on a CPU without AVX-512 its zmm half does not compile and is cut out (it reports 0 there)
PEAK_C=$ROOT/../shared/bench/peak/fma_peak.c
grep -q avx512f /proc/cpuinfo || { sed -e '/FMA_KERNEL(fma512/d' -e 's/best(fma512, freps, 3)/0/' \
  -e 's/best_parallel(fma512, freps, 3)/0/' "$PEAK_C" > "$OUT/fma_peak.c"; PEAK_C=$OUT/fma_peak.c; }
gcc -O2 -march=native -fopenmp "$PEAK_C" -o "$OUT/fma_peak" && "$OUT/fma_peak" > "$OUT/peak.before"
WORKLOADS=("texture-128-c1 " "texture-224-c1 " "texture-128-c16" "texture-224-c16" "abp iteration" "coopnets-mnist iteration")
for r in $(seq 1 "$ROUNDS"); do
  for t in 1 2; do
    : > "$OUT/ours.r$r.t$t"
    for w in "${WORKLOADS[@]}"; do
      case "$w" in *-c1\ ) reps="--iters 10 --warmup 2" ;; *) reps="--iters 3 --warmup 1" ;; esac
      /usr/bin/time -f "RSS_KB %M" target/release/xtask bench --filter "$w" --threads $t $reps 2>&1 \
        | grep -E "^\| [a-z]|RSS_KB" | tr '\n' ' ' >> "$OUT/ours.r$r.t$t"
      echo >> "$OUT/ours.r$r.t$t"
    done
  done
  for t in 1 2; do
    (cd "$TORCH_DIR" && bench=(.venv/bin/python torch_ref/coopnets_bench.py --threads $t) \
      && "${bench[@]}" --workloads texture --texture-configs 128x1,224x1 --iters 10 --warmup 2 \
      && "${bench[@]}" --workloads texture --texture-configs 128x16,224x16 --iters 3 --warmup 1 \
      && "${bench[@]}" --workloads abp,coopnets-mnist --iters 3 --warmup 1) > "$OUT/torch.r$r.t$t.json" 2>/dev/null
  done
done
python3 "$ROOT/scripts/sitting_table.py" "$OUT" | tee "$OUT/table.md"
"$OUT/fma_peak" > "$OUT/peak.after"
