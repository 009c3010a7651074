#!/usr/bin/env bash
# Measures `rewind consume` against kcat on the same 1M-record topic in the
# embedded log, side by side in one run. Both print JSON (kcat -J is kcat's
# own JSON envelope) to /dev/null.
#   bench/consume-vs-kcat.sh [RECORDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
rounds=${2:-3}
command -v kcat >/dev/null || { echo "kcat not found: apt-get install kcat" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill $srv 2>/dev/null || true; wait $srv 2>/dev/null || true; rm -rf "$work"' EXIT
go build -o "$work/rewind" .
go build -o "$work/seed" ./bench/seed
addr=127.0.0.1:29092
"$work/rewind" serve --no-demo --data-dir "$work/data" --listen $addr >"$work/serve.log" 2>&1 &
srv=$!
for _ in $(seq 50); do grep -q "listening on" "$work/serve.log" && break; sleep 0.2; done
"$work/seed" -b $addr -t bench -n "$n" -s 200

rate() { # records seconds
  awk -v n="$1" -v s="$2" 'BEGIN { printf "%.0f", n / s }'
}
timeit() { # command... ; prints seconds and max RSS (KB)
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  cat "$work/time"
}
printf "%-8s %-6s %10s %12s %10s\n" tool round seconds records/s maxRSS_MB
for r in $(seq "$rounds"); do
  read -r rs rm < <(timeit "$work/rewind" -b $addr consume bench --from earliest --until end -o json)
  read -r ks km < <(timeit kcat -C -J -e -o beginning -q -b $addr -t bench)
  printf "%-8s %-6s %10s %12s %10s\n" rewind "$r" "$rs" "$(rate "$n" "$rs")" "$((rm / 1024))"
  printf "%-8s %-6s %10s %12s %10s\n" kcat "$r" "$ks" "$(rate "$n" "$ks")" "$((km / 1024))"
  echo "ratio rewind/kcat (records/s): $(awk -v a="$rs" -v b="$ks" 'BEGIN { printf "%.2f", b / a }')"
done
# Same work: both emitted every record.
rc=$("$work/rewind" -b $addr consume bench --from earliest --until end -o json | wc -l)
kc=$(kcat -C -J -e -o beginning -q -b $addr -t bench | wc -l)
echo "records emitted: rewind=$rc kcat=$kc"
