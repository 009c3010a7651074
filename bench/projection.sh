#!/usr/bin/env bash
# Measures a sum-by-key projection (`rewind project run`) against raw consume
# (`rewind consume --until end -o json`) of the same 1M-record topic on the
# embedded log, side by side in one run, with peak RSS.
#   bench/projection.sh [RECORDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
rounds=${2:-3}

work=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; wait $srv 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/rewind" .
go build -o "$work/seed" ./bench/seed
addr=127.0.0.1:29093
"$work/rewind" serve --no-demo --data-dir "$work/data" --listen $addr >"$work/serve.log" 2>&1 &
srv=$!
for _ in $(seq 50); do grep -q "listening on" "$work/serve.log" && break; sleep 0.2; done
"$work/seed" -b $addr -t bench -n "$n" -s 200
cat >"$work/sum.yaml" <<'SPEC'
name: bench_sum
topic: bench
key: value.customer
aggregate: sum
value: value.amount
SPEC

rate() { awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'; }
timeit() { # command... ; prints seconds and max RSS (KB)
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { cat "$work/err" >&2; exit 1; }
  cat "$work/time"
}
printf "%-10s %-6s %10s %12s %10s\n" what round seconds records/s maxRSS_MB
for r in $(seq "$rounds"); do
  read -r cs cm < <(timeit "$work/rewind" -b $addr consume bench --from earliest --until end -o json)
  read -r ps pm < <(timeit "$work/rewind" -b $addr --data-dir "$work/runs" project run "$work/sum.yaml" --name "r$r")
  printf "%-10s %-6s %10s %12s %10s\n" consume "$r" "$cs" "$(rate "$n" "$cs")" "$((cm / 1024))"
  printf "%-10s %-6s %10s %12s %10s\n" project "$r" "$ps" "$(rate "$n" "$ps")" "$((pm / 1024))"
  echo "ratio project/consume (records/s): $(awk -v a="$ps" -v b="$cs" 'BEGIN { printf "%.2f", b / a }')"
done
"$work/rewind" --data-dir "$work/runs" project show r1 | sed -n '1,12p'
echo "checksums (identical = deterministic):"
for r in $(seq "$rounds"); do "$work/rewind" --data-dir "$work/runs" project show "r$r" -o json | grep '"checksum"'; done
