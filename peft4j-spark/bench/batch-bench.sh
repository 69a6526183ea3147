#!/usr/bin/env bash
# Images per second of `peft4j predict` against `peft4j batch --master local[1]` and `local[2]` on one folder, and
# each batch run's model load (an executor's start-up cost) and the JVM's peak resident memory. Writes
# OUT/batch-bench.json and OUT/batch-bench.md.
# Run from the repository root; the commands run one after another, ROUNDS times (default 2).
set -euo pipefail

usage() {
  cat <<'USAGE'
Usage: peft4j-spark/bench/batch-bench.sh --checkpoint CKPT --images DIR --out DIR [--rounds N]

Times, in turn, `./peft4j predict CKPT DIR` (masks and overlays as PNG), `./peft4j batch --master local[1]` and
`./peft4j batch --master local[2]` (Parquet) on the same folder, ROUNDS times. For each: the wall time from JVM
start to exit, the JVM's peak resident memory (GNU time), and for batch the inspection time and the model load it
prints. The load average before each run is recorded: on a shared machine compare rows of one round only.
Writes OUT/batch-bench.json and OUT/batch-bench.md (and each run's output under OUT/runs); OUT must not exist.
The model comes from the config.yaml beside CKPT, as for predict and batch.
USAGE
}

fail() { echo "error: $*" >&2; exit 2; }

CKPT="" IMAGES="" OUT="" ROUNDS=2
while [ $# -gt 0 ]; do
  case "$1" in
    --checkpoint) CKPT="${2:-}"; shift 2 ;;
    --images) IMAGES="${2:-}"; shift 2 ;;
    --out) OUT="${2:-}"; shift 2 ;;
    --rounds) ROUNDS="${2:-}"; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) usage >&2; fail "unknown argument '$1'" ;;
  esac
done
[ -n "$CKPT" ] && [ -n "$IMAGES" ] && [ -n "$OUT" ] || { usage >&2; fail "give --checkpoint, --images and --out"; }
[ -r "$CKPT" ] || fail "$CKPT: checkpoint not found or not readable"
[ -d "$IMAGES" ] || fail "$IMAGES: no such folder"
[[ "$ROUNDS" =~ ^[1-9][0-9]*$ ]] || fail "--rounds must be a positive whole number, got '$ROUNDS'"
[ -e "$OUT" ] && fail "$OUT already exists; give a new --out folder"
[ -x /usr/bin/time ] || fail "/usr/bin/time (GNU time) is needed for the peak memory; install the time package"
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
N=$(find "$IMAGES" -maxdepth 1 -type f \( -iname '*.jpg' -o -iname '*.jpeg' -o -iname '*.png' -o -iname '*.bmp' \
  -o -iname '*.gif' -o -iname '*.tif' -o -iname '*.tiff' \) | wc -l)
[ "$N" -gt 0 ] || fail "$IMAGES: no images in this folder"

# Written in a temporary folder beside OUT and moved into place at the end: no half-written OUT.
PARENT="$(dirname "$OUT")"
mkdir -p "$PARENT"
WORK="$(mktemp -d "$PARENT/.batch-bench.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT
# Build both launchers' modules before timing anything.
"$ROOT/peft4j" --version >/dev/null
"$ROOT/peft4j" batch --version >/dev/null

now() { date +%s.%N; }
load() { cut -d' ' -f1 /proc/loadavg; }
rows=()
for round in $(seq 1 "$ROUNDS"); do
  for what in predict 'local[1]' 'local[2]'; do
    dir="$WORK/runs/round-$round-$(echo "$what" | tr -d '[]')"
    la=$(load)
    start=$(now)
    if [ "$what" = predict ]; then
      /usr/bin/time -f %M -o "$WORK/rss" "$ROOT/peft4j" predict --checkpoint "$CKPT" "$IMAGES" --out "$dir" > "$WORK/log" 2>&1 \
        || { cat "$WORK/log" >&2; fail "predict failed"; }
    else
      /usr/bin/time -f %M -o "$WORK/rss" "$ROOT/peft4j" batch --master "$what" --checkpoint "$CKPT" --images "$IMAGES" --out "$dir" > "$WORK/log" 2>&1 \
        || { cat "$WORK/log" >&2; fail "batch --master $what failed"; }
    fi
    wall=$(echo "$(now) - $start" | bc -l)
    rss=$(( $(tail -1 "$WORK/rss") / 1024 ))
    inspect="" model=""
    if [ "$what" != predict ]; then
      inspect=$(sed -n 's/^[0-9]* images (.*) in \([0-9.]*\) s -> .*/\1/p' "$WORK/log")
      model=$(sed -n 's/^Model load \([0-9.]*\) s .*/\1/p' "$WORK/log")
      [ -n "$inspect" ] || { cat "$WORK/log" >&2; fail "batch printed no timing line"; }
    fi
    rows+=("$round|$what|$la|$wall|$inspect|$model|$rss")
    echo "round $round, $what: $wall s wall (load $la)" >&2
  done
done

cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo | head -1)
{
  printf '{\n  "date": "%s",\n  "cores": %d,\n  "cpu": "%s",\n  "images": %d,\n  "folder": "%s",\n' \
    "$(date -u +%Y-%m-%dT%H:%M:%SZ)" "$(getconf _NPROCESSORS_ONLN)" "$cpu" "$N" "$IMAGES"
  printf '  "checkpoint": "%s",\n  "engine_threads": "%s",\n  "rows": [\n' "$CKPT" "${OMP_NUM_THREADS:-default}"
  sep=""
  for r in "${rows[@]}"; do
    IFS='|' read -r round what la wall inspect model rss <<< "$r"
    printf '%s    {"round": %d, "command": "%s", "load_average_before": %s, "wall_s": %.2f, "peak_rss_mb": %d, ' \
      "$sep" "$round" "$([ "$what" = predict ] && echo predict || echo "batch --master $what")" "$la" "$wall" "$rss"
    if [ -n "$inspect" ]; then
      printf '"inspection_s": %s, "model_load_s": %s, "images_per_s": %.3f, "images_per_s_wall": %.3f}' \
        "$inspect" "${model:-null}" "$(echo "$N / $inspect" | bc -l)" "$(echo "$N / $wall" | bc -l)"
    else
      printf '"images_per_s_wall": %.3f}' "$(echo "$N / $wall" | bc -l)"
    fi
    sep=$',\n'
  done
  printf '\n  ]\n}\n'
} > "$WORK/batch-bench.json"
{
  echo "$N images of $IMAGES, $(getconf _NPROCESSORS_ONLN) cores ($cpu), engine threads ${OMP_NUM_THREADS:-default}, $(date -u '+%Y-%m-%d %H:%M') UTC."
  echo
  echo "| round | command | load before | wall s (JVM start to exit) | inspection s (as printed) | model load s | images/s in the job | images/s, wall | peak RSS MB |"
  echo "|---|---|---:|---:|---:|---:|---:|---:|---:|"
  for r in "${rows[@]}"; do
    IFS='|' read -r round what la wall inspect model rss <<< "$r"
    if [ -n "$inspect" ]; then
      printf '| %d | `batch --master %s` | %s | %.1f | %s | %s | %.2f | %.2f | %d |\n' "$round" "$what" "$la" "$wall" \
        "$inspect" "$model" "$(echo "$N / $inspect" | bc -l)" "$(echo "$N / $wall" | bc -l)" "$rss"
    else
      printf '| %d | `predict` | %s | %.1f | | | | %.2f | %d |\n' "$round" "$la" "$wall" "$(echo "$N / $wall" | bc -l)" \
        "$rss"
    fi
  done
} > "$WORK/batch-bench.md"
rm -f "$WORK/log" "$WORK/rss"
mv "$WORK" "$OUT"
trap - EXIT
cat "$OUT/batch-bench.md"
