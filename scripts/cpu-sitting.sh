#!/usr/bin/env bash
# One sitting against PyTorch on this CPU (issue 12; BENCHMARKS.md): ROUNDS rounds (default 2)
# of ours at 1 and 2 threads, every workload in a process of its own under /usr/bin/time (for
# its peak RSS), then PyTorch at 1 and 2 threads (../shared/bench/torch_ref/coopnets_bench.py
# in TORCH_DIR, default /tmp/torchbench, set up as ../shared/bench/README.md says). Writes
# OUT (default /tmp/sitting): ours.rR.tT, torch.rR.tT.json, and table.md from
# scripts/sitting_table.py. Run from the repository root after `cargo build --release -p xtask`;
# nothing else should run meanwhile (`kill -STOP` long jobs, `kill -CONT` after).
set -eu
OUT=${OUT:-/tmp/sitting}; TORCH_DIR=${TORCH_DIR:-/tmp/torchbench}; ROUNDS=${ROUNDS:-2}
mkdir -p "$OUT"; ROOT=$(pwd)
WORKLOADS=("texture-128-c1 " "texture-224-c1 " "texture-128-c16" "texture-224-c16" "abp iteration" "coopnets-mnist iteration")
for r in $(seq 1 "$ROUNDS"); do
  for t in 1 2; do
    : > "$OUT/ours.r$r.t$t"
    for w in "${WORKLOADS[@]}"; do
      /usr/bin/time -f "RSS_KB %M" target/release/xtask bench --filter "$w" --threads $t --iters 3 --warmup 1 2>&1 \
        | grep -E "^\| [a-z]|RSS_KB" | tr '\n' ' ' >> "$OUT/ours.r$r.t$t"
      echo >> "$OUT/ours.r$r.t$t"
    done
  done
  for t in 1 2; do
    (cd "$TORCH_DIR" && .venv/bin/python torch_ref/coopnets_bench.py --workloads texture,abp,coopnets-mnist \
      --threads $t --iters 3 --warmup 1 > "$OUT/torch.r$r.t$t.json" 2>/dev/null)
  done
done
python3 "$ROOT/scripts/sitting_table.py" "$OUT" | tee "$OUT/table.md"
