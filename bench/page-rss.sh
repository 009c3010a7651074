#!/usr/bin/env bash
# Peak RSS of the rewind TUI while paging (pgdown) through every record of a
# 1M-record topic, driven through a real terminal (tmux) like an operator.
# The log is served by a separate `rewind serve` so the figure is the UI's
# own memory, not the broker's.
#   bench/page-rss.sh [RECORDS]
set -euo pipefail
cd "$(dirname "$0")/.."
n=${1:-1000000}
command -v tmux >/dev/null || { echo "tmux not found" >&2; exit 1; }
work=$(mktemp -d)
sess=rewind-rss-$$
cleanup() { tmux kill-session -t $sess 2>/dev/null || true; kill $srv 2>/dev/null || true; wait $srv 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT
go build -o "$work/rewind" .
go build -o "$work/seed" ./bench/seed
"$work/rewind" serve --no-demo --data-dir "$work/data" --listen 127.0.0.1:0 >"$work/serve.log" 2>&1 &
srv=$!
for _ in $(seq 100); do grep -q "^listening on" "$work/serve.log" && break; sleep 0.2; done
addr=$(sed -n 's/^listening on //p' "$work/serve.log")
"$work/seed" -b $addr -t bench -n "$n" -s 200 -p 1

# exec: the pane's pid is the TUI's own (never "the newest rewind").
tmux new-session -d -s $sess -x 160 -y 45 "exec $work/rewind -b $addr --data-dir $work/ui"
sleep 2
pid=$(tmux display -p -t $sess '#{pane_pid}')
tmux send-keys -t $sess Enter; sleep 1   # topics -> partitions
tmux send-keys -t $sess Enter; sleep 1   # partitions -> records of p0
rss() { awk '/^VmRSS/ {print $2}' /proc/$pid/status; }
hwm() { awk '/^VmHWM/ {print $2}' /proc/$pid/status; }
echo "start: RSS $(( $(rss) / 1024 )) MB"
start=$(date +%s)
for i in $(seq 1000); do
  tmux send-keys -t $sess -N 500 PageDown
  sleep 0.3
  line=$(tmux capture-pane -p -t $sess | sed -n 2p)
  if (( i % 20 == 0 )); then echo "$line · RSS $(( $(rss) / 1024 )) MB"; fi
  if echo "$line" | grep -Eq "offsets [0-9,]+–$(printf "%'d" $((n - 1)) | tr -d "'")|–999,999 "; then break; fi
  cur=$(echo "$line" | grep -oE "offsets [0-9,]+–[0-9,]+" | tail -1 | sed 's/.*–//; s/,//g')
  if [ -n "$cur" ] && [ "$cur" -ge $((n - 1)) ]; then break; fi
done
echo "end:   $(tmux capture-pane -p -t $sess | sed -n 2p)"
echo "paged for $(( $(date +%s) - start ))s; peak RSS (VmHWM) $(( $(hwm) / 1024 )) MB; RSS now $(( $(rss) / 1024 )) MB"
