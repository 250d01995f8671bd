#!/usr/bin/env bash
# Build, on a CPU machine, the binaries a GPU machine without a Rust toolchain runs
# (scripts/gpu-check.sh): the CUDA tests of the tensor crate, the NCCL test of nn (`dist`)
# and xtask (`cuda`), for a portable x86-64-v3 CPU (this repository's `target-cpu=native` may not
# run on the GPU machine's processor), stripped, in target/gpu-bundle/.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR=target/gpu RUSTFLAGS="-C target-cpu=x86-64-v3"
out=target/gpu-bundle
rm -rf "$out" && mkdir -p "$out"
# the executable of integration test $3 of package $1 built with feature $2
test_bin() {
  cargo test --release -p "$1" --features "$2" --test "$3" --no-run --message-format=json 2>/dev/null \
    | python3 -c 'import json,sys
for l in sys.stdin:
    m = json.loads(l)
    if m.get("reason") == "compiler-artifact" and m.get("executable") and m["target"]["name"] == sys.argv[1]:
        print(m["executable"])' "$3"
}
cp "$(test_bin coopnets-tensor cuda cuda)" "$out/cuda_tests"
cp "$(test_bin coopnets-nn dist dist_nccl)" "$out/dist_tests"
cargo build --release -p xtask --features cuda
cp target/gpu/release/xtask "$out/xtask"
strip "$out/cuda_tests" "$out/dist_tests" "$out/xtask"
ls -la "$out"
