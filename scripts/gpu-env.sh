# Sourced by the GPU scripts (gpu-check.sh, gpu-tune.sh, gpu-sweep.sh) on the GPU machine: sets
# B (the bundle), OUT (what comes back) and LOG ($OUT/log.txt, begun with the machine's description),
# and points the loader at the CUDA libraries of the image (the toolkit's and the pip packages'
# nvidia/*/lib folders), with unversioned names where cudarc looks for them.
B=target/gpu-bundle
OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT"
LOG=$OUT/log.txt
export COOPNETS_DATA=$PWD/data
export COOPNETS_REQUIRE_GPU=1 # the CUDA tests fail, not skip, if the GPU cannot be used
{ nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv; lscpu | head -20; } > "$LOG" 2>&1
SITE=$(python3 -c 'import site; print(site.getsitepackages()[0])')
LIBS=$(mktemp -d)
for d in /usr/local/cuda/lib64 "$SITE"/nvidia/*/lib; do [ -d "$d" ] && export LD_LIBRARY_PATH="$d:${LD_LIBRARY_PATH:-}"; done
for name in libcublas libcublasLt libnvrtc libnccl libcudnn; do
  f=$(ls /usr/local/cuda/lib64/$name.so* "$SITE"/nvidia/*/lib/$name.so* 2>/dev/null | grep -v alt | sort | tail -1)
  [ -n "$f" ] && ln -sf "$f" "$LIBS/$name.so"
done
export LD_LIBRARY_PATH="$LIBS:$LD_LIBRARY_PATH"
{ ls -la "$LIBS"; python3 -c 'import torch; print("torch", torch.__version__, "cuda", torch.version.cuda)'; } >> "$LOG" 2>&1

