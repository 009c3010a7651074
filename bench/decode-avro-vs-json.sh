#!/usr/bin/env bash
# `rewind consume --until end -o json` of N Confluent-framed Avro records
# (schema in the embedded registry) against the same N records stored as
# JSON, in one run, alternating. Both decode every value (Avro is
# transcoded to JSON; JSON is validated and compacted) and print the same
# JSON lines shape to /dev/null. Target: Avro >= 0.7 of JSON's records/s.
#   bench/decode-avro-vs-json.sh [RECORDS] [ROUNDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
rounds=${2:-3}

work=$(mktemp -d)
srv=
trap '[ -n "$srv" ] && kill $srv 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
go build -o "$work/rewind" .
go build -o "$work/seedavro" ./bench/seedavro
# Free ports for the broker and the registry (never the defaults).
"$work/rewind" serve --no-demo --data-dir "$work/data" --listen 127.0.0.1:0 --registry-listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
srv=$!
for _ in $(seq 300); do grep -q "schema registry on" "$work/serve.log" && break; sleep 0.2; done
addr=$(sed -n 's/^listening on //p' "$work/serve.log")
reg=$(sed -n 's/^schema registry on //p' "$work/serve.log")
[ -n "$addr" ] && [ -n "$reg" ] || { echo "rewind serve did not start:"; cat "$work/serve.log"; exit 1; }
"$work/seedavro" -b $addr -r "$reg" -n "$n" -p 6

timeit() { # command... ; prints seconds and max RSS (KB)
  /usr/bin/time -f "%e %M" -o "$work/time" "$@" >/dev/null
  cat "$work/time"
}
args() { echo "-b $addr -X schema.registry.url=$reg consume $1 --from earliest --until end -o json"; }
consume() { "$work/rewind" $(args "$1"); }
echo "machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
printf "%-6s %-6s %9s %11s %10s\n" topic round seconds records/s maxRSS_MB
ratios=()
for r in $(seq "$rounds"); do
  read -r as am < <(timeit "$work/rewind" $(args bench-avro))
  read -r js jm < <(timeit "$work/rewind" $(args bench-json))
  printf "%-6s %-6s %9s %11.0f %10s\n" avro "$r" "$as" "$(awk -v n="$n" -v s="$as" 'BEGIN{print n/s}')" "$((am / 1024))"
  printf "%-6s %-6s %9s %11.0f %10s\n" json "$r" "$js" "$(awk -v n="$n" -v s="$js" 'BEGIN{print n/s}')" "$((jm / 1024))"
  ratios+=("$(awk -v a="$as" -v j="$js" 'BEGIN{printf "%.2f", j / a}')")
done
sorted=$(printf "%s\n" "${ratios[@]}" | sort -n)
echo "avro/json records/s ratio: min $(echo "$sorted" | head -1), median $(echo "$sorted" | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'), max $(echo "$sorted" | tail -1) (target >= 0.70)"
# Same work: every record came out, decoded.
ac=$(consume bench-avro | grep -c '"value_format":"avro"')
jc=$(consume bench-json | grep -c '"value_format":"json"')
echo "records decoded: avro=$ac json=$jc (want $n each)"
[ "$ac" = "$n" ] && [ "$jc" = "$n" ]
