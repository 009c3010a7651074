#!/usr/bin/env bash
# bench/run.sh — rewind's benchmarks, all in one run, printed as the markdown
# table the README quotes.
#
#   bench/run.sh [ROUNDS]          (default 3; QUICK=1 skips the 5M-record log)
#   ONLY=consume,lag bench/run.sh  (only those parts: consume search project diff lag groups embedded)
#
# Everything runs against this script's own `rewind serve` on a free port
# (127.0.0.1:0; the script checks the listening socket belongs to the server
# it started). Data: 6 partitions, values ~200 B of JSON with a random
# (incompressible) pad, 1M records with 5,000 keys (topic b5k) and 1M records
# with 1M distinct keys (topic b1m). Peers run in the same rounds, one after
# the other, in an order that alternates between rounds: the minimal
# franz-go reader (bench/reader: the limit), kcat with librdkafka's default
# fetch settings and with tuned ones; searches (rewind consume --filter vs
# kcat -J | jq, and the matches checked equal). Times are wall seconds and CPU seconds
# (user+system) from /usr/bin/time; RSS is the peak of the measured process
# itself (the TUI's own pid for screens). Ratios are min–median–max over the
# rounds. The machine is shared: the load average is printed with the table.
set -euo pipefail
cd "$(dirname "$0")/.."
rounds=${1:-3}
for t in kcat jq tmux ss /usr/bin/time; do command -v $t >/dev/null || { echo "bench: $t not found (apt-get install kcat jq tmux iproute2 time)" >&2; exit 1; }; done

work=$(mktemp -d /tmp/rewind-bench.XXXXXX)
sess=rewind-bench-$$
srv=
cleanup() {
  tmux kill-session -t "$sess" 2>/dev/null || true
  [ -n "$srv" ] && { kill -INT "$srv" 2>/dev/null || true; wait "$srv" 2>/dev/null || true; }
  [ -n "${KEEP:-}" ] && cp "$work/results" "$KEEP" 2>/dev/null; rm -rf "$work"
}
trap cleanup EXIT
log() { echo "bench: $*" >&2; }
only=${ONLY:-consume,search,project,diff,lag,groups,embedded}
want() { [[ ",$only," == *",$1,"* ]]; }
[ -n "${QUICK:-}" ] && only=${only//embedded/}

go build -o "$work/rewind" .
go build -o "$work/seed" ./bench/seed
go build -o "$work/reader" ./bench/reader

# serve DATA_DIR: starts this script's broker, sets srv and addr.
serve() {
  "$work/rewind" serve --no-demo --data-dir "$1" --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
  srv=$!
  for _ in $(seq 300); do grep -q "^listening on" "$work/serve.log" && break; sleep 0.1; done
  addr=$(sed -n 's/^listening on //p' "$work/serve.log")
  [ -n "$addr" ] || { cat "$work/serve.log" >&2; exit 1; }
  # The socket must be our server's, not something else on that port.
  owner=$(ss -Hltnp "sport = :${addr##*:}" | grep -o 'pid=[0-9]*' | head -1 | cut -d= -f2)
  [ "$owner" = "$srv" ] || { echo "bench: $addr is served by pid $owner, not by the server this script started ($srv)" >&2; exit 1; }
}
stop() { kill -INT "$srv"; wait "$srv" || true; srv=; }

# measure NAME CMD...: runs CMD with stdout to /dev/null; appends "NAME wall cpu rssMB" to results.
measure() {
  local name=$1; shift
  /usr/bin/time -f "%e %U %S %M" -o "$work/time" "$@" >/dev/null 2>"$work/err" || { echo "bench: $name failed:" >&2; tail -5 "$work/err" >&2; exit 1; }
  read -r e u s m <"$work/time"
  echo "$name $e $(awk -v u="$u" -v s="$s" 'BEGIN{print u+s}') $((m / 1024))" >>"$work/results"
}

serve "$work/data"
log "broker $addr (pid $srv); seeding"
if want consume || want search || want project; then "$work/seed" -b "$addr" -t b5k -p 6 -n 1000000 -keys 5000 -s 200 >&2; fi
if want project || want diff; then "$work/seed" -b "$addr" -t b1m -p 6 -n 1000000 -keys 1000000 -s 200 >&2; fi
for t in b5k b1m; do for agg in latest count sum; do
  { echo "name: ${t}_$agg"; echo "topic: $t"; echo "key: value.customer"; echo "aggregate: $agg"; [ $agg = sum ] && echo "value: value.amount"; true; } >"$work/$t-$agg.yaml"
done; done

kdef=(kcat -C -e -q -o beginning -b "$addr")
ktun=(kcat -C -e -q -o beginning -b "$addr" -X fetch.wait.max.ms=10 -X fetch.message.max.bytes=4194304 -X queued.min.messages=1000000 -X queued.max.messages.kbytes=262144)
consumers=(limit rewind_json kcat_json_default kcat_json_tuned rewind_value kcat_value_tuned)
run_consumer() {
  case $1 in
    limit) measure "consume.$1" "$work/reader" -b "$addr" -t b5k ;;
    rewind_json) measure "consume.$1" "$work/rewind" -b "$addr" consume b5k --from earliest --until end -o json ;;
    rewind_value) measure "consume.$1" "$work/rewind" -b "$addr" consume b5k --from earliest --until end -o value ;;
    kcat_json_default) measure "consume.$1" "${kdef[@]}" -J -t b5k ;;
    kcat_json_tuned) measure "consume.$1" "${ktun[@]}" -J -t b5k ;;
    kcat_value_tuned) measure "consume.$1" "${ktun[@]}" -f '%s\n' -t b5k ;;
  esac
}

want consume || consumers=(limit rewind_json kcat_json_tuned) # the searches' peers

# Searches of the whole topic (issue 12): rewind's scan engine with a sparse
# predicate (200 matches) and a dense one (half the records, printed), and
# the kcat -J | jq pipeline an operator would write, kcat with tuned fetch
# settings. jq gets the value as a JSON string in kcat's envelope.
sparse='value.customer == "c-42"'
searches=(rewind_sparse kcat_jq_sparse rewind_dense)
run_search() {
  case $1 in
    rewind_sparse) measure "search.$1" "$work/rewind" -b "$addr" consume b5k --from earliest --until end --filter "$sparse" ;;
    rewind_dense) measure "search.$1" "$work/rewind" -b "$addr" consume b5k --from earliest --until end --filter 'value.amount > 498' ;;
    kcat_jq_sparse) measure "search.$1" bash -c "${ktun[*]} -J -t b5k | jq -c 'select((.payload | fromjson).customer == \"c-42\")'" ;;
  esac
}

for r in $(seq "$rounds"); do
  log "round $r/$rounds"
  order=("${consumers[@]}")
  if (( r % 2 == 0 )); then order=($(printf '%s\n' "${consumers[@]}" | tac)); fi
  if want consume || want search || want project; then for c in "${order[@]}"; do run_consumer "$c"; done; fi
  if want search; then
    order=("${searches[@]}")
    if (( r % 2 == 0 )); then order=($(printf '%s\n' "${searches[@]}" | tac)); fi
    for c in "${order[@]}"; do run_search "$c"; done
  fi
  if want project || want diff; then for t in b5k b1m; do for agg in latest count sum; do
    want project || [ $t = b1m ] || continue # diff needs the 1M-key tables
    measure "project.$t.$agg" "$work/rewind" -b "$addr" --data-dir "$work/runs" project run "$work/$t-$agg.yaml" --name "$t-$agg-$r"
  done; done; fi
  if want diff; then
    measure diff.table "$work/rewind" --data-dir "$work/runs" project diff "b1m-latest-$r" "b1m-sum-$r"
    measure diff.json_all "$work/rewind" --data-dir "$work/runs" project diff "b1m-latest-$r" "b1m-sum-$r" -o json --rows -1
    measure diff.only_changes "$work/rewind" --data-dir "$work/runs" project diff "b1m-count-$r" "b1m-sum-$r" --only-changes
  fi
done

# One-shot lag without history (a fresh data dir each time: one sample),
# on 200 groups, then 1,000 (the groups screen's world): 24 partitions each.
if want lag || want groups; then
  "$work/seed" -b "$addr" -t lag24 -p 24 -n 24000 -keys 100 -s 100 >&2
  for ng in 200 1000; do
    "$work/seed" -b "$addr" -t lag24 -n 0 -groups $ng >&2
    if want lag; then for r in $(seq "$rounds"); do
      measure lag.oneshot_$ng "$work/rewind" -b "$addr" --data-dir "$work/lag-$ng-$r" lag -o json
    done; fi
  done
fi

if want search; then
# The same matches: rewind's search, jq over rewind's JSON lines of the
# whole topic, and the kcat | jq pipeline (positions: partition/offset).
"$work/rewind" -b "$addr" consume b5k --until end --filter "$sparse" 2>/dev/null | jq -r '"\(.partition)/\(.offset)"' | sort >"$work/m.rewind"
"$work/rewind" -b "$addr" consume b5k --until end 2>/dev/null | jq -r 'select(.value.customer == "c-42") | "\(.partition)/\(.offset)"' | sort >"$work/m.jq"
"${ktun[@]}" -J -t b5k | jq -r 'select((.payload | fromjson).customer == "c-42") | "\(.partition)/\(.offset)"' | sort >"$work/m.kcat"
cmp -s "$work/m.rewind" "$work/m.jq" && cmp -s "$work/m.rewind" "$work/m.kcat" && [ -s "$work/m.rewind" ] ||
  { echo "bench: search matches differ: rewind $(wc -l <"$work/m.rewind"), rewind|jq $(wc -l <"$work/m.jq"), kcat|jq $(wc -l <"$work/m.kcat")" >&2; exit 1; }
search_same="$(wc -l <"$work/m.rewind") matches, the same records as consume -o json \\\\| jq and kcat -J \\\\| jq"
fi

# The groups screen: the TUI's own pid (the tmux pane runs it with exec).
if want groups; then
tmux new-session -d -s "$sess" -x 160 -y 45 "exec $work/rewind -b $addr --data-dir $work/ui"
tui=$(tmux display -p -t "$sess" '#{pane_pid}')
for _ in $(seq 100); do tmux capture-pane -p -t "$sess" | grep -q topics && break; sleep 0.2; done
tmux send-keys -t "$sess" : ; sleep 0.3; tmux send-keys -t "$sess" groups Enter
for _ in $(seq 150); do tmux capture-pane -p -t "$sess" | grep -q "1,\?00[0-9] groups" && break; sleep 0.2; done
sleep 10 # several refreshes
groups_rss=$(awk '/^VmHWM/ {print int($2/1024)}' /proc/"$tui"/status)
groups_line=$(tmux capture-pane -p -t "$sess" | sed -n 2p | sed 's/ *$//')
sleep 50 # a minute on the screen: the recent-sample rings are full
groups_rss60=$(awk '/^VmHWM/ {print int($2/1024)}' /proc/"$tui"/status)
tmux kill-session -t "$sess"
fi
stop

if want embedded; then
  log "5M-record log: seeding"
  serve "$work/big"
  "$work/seed" -b "$addr" -t big -p 6 -n 5000000 -keys 5000 -s 270 >&2
  stop
  bigsize=$(du -sh "$work/big" | cut -f1)
  for r in $(seq "$rounds"); do
    t0=$(date +%s.%N)
    serve "$work/big"
    t1=$(date +%s.%N)
    sleep 2
    rss=$(awk '/^VmRSS/ {print int($2/1024)}' /proc/"$srv"/status)
    hwm=$(awk '/^VmHWM/ {print int($2/1024)}' /proc/"$srv"/status)
    echo "embedded.start $(awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.2f", b-a}') 0 $rss $hwm" >>"$work/results"
    stop
  done
fi

# The table: per measure, min–median–max of wall, CPU and RSS; ratios
# against the limit reader (throughput: limit wall / wall) per round.
awk -v load="$(cut -d' ' -f1-3 /proc/loadavg)" -v rounds="$rounds" -v same="${search_same:-}" -v gline="${groups_line:-}" -v grss="${groups_rss:-}" -v grss60="${groups_rss60:-}" -v bigsize="${bigsize:-}" '
function sort3(a, n,   i, j, t) { for (i = 2; i <= n; i++) for (j = i; j > 1 && a[j-1] > a[j]; j--) { t = a[j]; a[j] = a[j-1]; a[j-1] = t } }
function mmm(key, n,   a, i) { n = cnt[key]; for (i = 1; i <= n; i++) a[i] = v[key, i]; sort3(a, n); return sprintf(fmt(a[1]) "–" fmt(a[int((n+1)/2)]) "–" fmt(a[n])) }
function fmt(x) { return (x >= 100) ? sprintf("%.0f", x) : (x >= 10) ? sprintf("%.1f", x) : sprintf("%.2f", x) }
function add(key, x) { cnt[key]++; v[key, cnt[key]] = x }
{
  name = $1; k = ++seen[name]; if (k == 1) names[++nn] = name
  add(name ".wall", $2); add(name ".cpu", $3); add(name ".rss", $4); if (NF > 4) add(name ".peak", $5)
  wall[name, k] = $2; cpu[name, k] = $3
}
END {
  printf "Measured by `bench/run.sh %d` (%d rounds; load average %s on 2 cores: a shared machine, figures are noisy).\n\n", rounds, rounds, load
  print "| what | wall s | CPU s | peak RSS MB | ratio (min–median–max) |"
  print "|---|---|---|---|---|"
  for (i = 1; i <= nn; i++) {
    n = names[i]; ratio = ""
    split(n, p, ".")
    if (p[1] == "consume" && n != "consume.limit") {
      for (k = 1; k <= seen[n]; k++) add(n ".rl", wall["consume.limit", k] / wall[n, k])
      ratio = mmm(n ".rl") "× the limit (throughput)"
      if (n == "consume.rewind_json") {
        for (k = 1; k <= seen[n]; k++) { add("rk.w", wall["consume.kcat_json_tuned", k] / wall[n, k]); add("rk.c", cpu["consume.kcat_json_tuned", k] / cpu[n, k]) }
        ratio = ratio "; vs kcat -J tuned: " mmm("rk.w") "× (wall), " mmm("rk.c") "× (CPU)"
      }
    }
    if (p[1] == "project" && seen["consume.rewind_json"] > 0) { # ONLY=diff runs no consumers: no ratio
      for (k = 1; k <= seen[n]; k++) { add(n ".rc", wall["consume.rewind_json", k] / wall[n, k]); add(n ".rlim", wall["consume.limit", k] / wall[n, k]) }
      ratio = mmm(n ".rc") "× rewind consume -o json; " mmm(n ".rlim") "× the limit"
    }
    if (p[1] == "search") {
      for (k = 1; k <= seen[n]; k++) { add(n ".sc", wall["consume.rewind_json", k] / wall[n, k]); add(n ".sl", wall["consume.limit", k] / wall[n, k]) }
      ratio = mmm(n ".sc") "× rewind consume -o json; " mmm(n ".sl") "× the limit (throughput)"
      if (n == "search.rewind_sparse") {
        for (k = 1; k <= seen[n]; k++) { add("sk.w", wall["search.kcat_jq_sparse", k] / wall[n, k]); add("sk.c", cpu["search.kcat_jq_sparse", k] / cpu[n, k]) }
        ratio = ratio "; vs kcat -J tuned \\| jq: " mmm("sk.w") "× (wall), " mmm("sk.c") "× (CPU); " same
      }
    }
    if (n == "embedded.start") { print "| embedded log start, 5M records (" bigsize "): start / RSS after start | " mmm(n ".wall") " | – | " mmm(n ".rss") " (peak during start " mmm(n ".peak") ") | |"; continue }
    label = n
    sub(/^consume\./, "consume 1M × 6 partitions: ", label); sub(/^project\.b5k\./, "project run, 1M records, 5,000 keys: ", label); sub(/^project\.b1m\./, "project run, 1M records, 1M keys: ", label)
    sub(/^search\.rewind_sparse/, "search 1M × 6 partitions, 200 matches: rewind consume --filter", label); sub(/^search\.rewind_dense/, "search 1M × 6 partitions, half match (printed): rewind consume --filter", label)
    sub(/^search\.kcat_jq_sparse/, "search 1M × 6 partitions, 200 matches: kcat -J tuned \\| jq select", label)
    sub(/^diff\./, "project diff, two 1M-key tables: ", label); if (n ~ /^lag\.oneshot_/) label = "one-shot lag -o json, " substr(n, 13) " groups × 24 partitions (no history: one sample)"
    print "| " label " | " mmm(n ".wall") " | " mmm(n ".cpu") " | " mmm(n ".rss") " | " ratio " |"
  }
  if (grss != "") print "| groups screen, 1,000 groups × 24 partitions (TUI pid, peak after ~10 s / after ~60 s) | – | – | " grss " / " grss60 " | `" gline "` |"
}' "$work/results"
