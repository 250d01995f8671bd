#!/usr/bin/env bash
# Recipe sweeps on the GPU machine: many short experiment runs at once (a 128² texture run keeps
# an H100 far from busy, so eight share it). Run from the repository root with the binaries of
# scripts/gpu-bundle.sh in target/gpu-bundle/ and a jobs file, one run per line:
#   NAME EXPERIMENT CONFIG IMAGE SEED     (CONFIG: `coopnets config EXPERIMENT > F`, edited;
#   five words per run, no quotes or spaces inside a word)
# JOBS (the file, default gpu-data/jobs.txt), P (runs at a time, default 8), DEADLINE (seconds
# after which no run starts, default 480), KILL (seconds after which runs are stopped, default
# DEADLINE + 40). Writes $OUT/done.txt (name, exit status and seconds, or `skipped` for a run
# not started before DEADLINE) and $OUT/runs.tar.gz (each run's final/, final_generator/,
# observed.png, metrics.json, stats.csv and log), which come back to the CPU machine for
# scoring (../shared/tools/texdist.py).
set -u
. scripts/gpu-env.sh
DEADLINE=${DEADLINE:-480}; KILL=${KILL:-$((DEADLINE + 40))}; START=$(date +%s)
R=/tmp/runs; rm -rf "$R"; mkdir -p "$R"; : > "$OUT/done.txt"
job() { # NAME EXPERIMENT CONFIG IMAGE SEED
  local t0 left; t0=$(date +%s); left=$((KILL - (t0 - START)))
  if [ $((t0 - START)) -gt "$DEADLINE" ] || [ "$left" -le 0 ]; then echo "$1 skipped" >> "$OUT/done.txt"; exit 0; fi
  RAYON_NUM_THREADS=2 timeout -k 10 "$left" "$B/xtask" experiment "$2" --config "$3" \
    --image "$4" --seed "$5" --device cuda --out "$R/$1" > "$R/$1.log" 2>&1
  echo "$1 rc=$? $(($(date +%s) - t0))s" >> "$OUT/done.txt"
}
export -f job; export START DEADLINE KILL R B OUT
xargs -P "${P:-8}" -n 5 bash -c 'job "$@"' _ < "${JOBS:-gpu-data/jobs.txt}"
cd $R && find . \( -path '*/final/*' -o -path '*/final_generator/*' -o -name observed.png -o -name metrics.json \
  -o -name stats.csv -o -name '*.log' \) -print0 | tar czf "$OUT/runs.tar.gz" --null -T - 2>> "$LOG"
wc -l "$OUT/done.txt"
