#!/usr/bin/env bash
# End-to-end check of docs/scaling.md's failure guarantee with real processes: the tiny sweep run
# locally, then on two silos (localhost clustering, or Redis with --redis) with one silo killed -9 while
# it trains; the two tables must be byte-identical. The suite runs the Redis variant as Cluster/ClusterProcessTests;
# this script is for trying it by hand (it takes about a minute
# on an idle 2-core machine). Usage: tools/cluster/kill-silo-check.sh [--redis]
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
export OMP_WAIT_POLICY=PASSIVE
genaudit="$here/genaudit"
spec="$here/docs/examples/tiny.sweep.json"
work="$(mktemp -d /tmp/genaudit-kill-silo.XXXXXX)"
pids=()
cleanup() { for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

cluster=(--gateways 30000,30001)
silo_flags=()
if [[ "${1:-}" == "--redis" ]]; then
  redis-server --port 6391 --bind 127.0.0.1 --dir "$work" --save "" --appendonly no >"$work/redis.log" 2>&1 &
  pids+=($!)
  cluster=(--redis 127.0.0.1:6391)
  silo_flags=(--redis 127.0.0.1:6391)
  sleep 1
fi

"$genaudit" sweep --spec "$spec" --out "$work/local" --workers 2 >"$work/local.log"
"$genaudit" silo --artifacts "$work/art" "${silo_flags[@]}" >"$work/silo1.log" 2>&1 &
pids+=($!)
sleep 5
"$genaudit" silo --artifacts "$work/art" "${silo_flags[@]}" --port 11112 --gateway 30001 >"$work/silo2.log" 2>&1 &
silo2=$!
pids+=($silo2)
sleep 5
"$genaudit" sweep --spec "$spec" --out "$work/cluster" --cluster "${cluster[@]}" >"$work/client.log" 2>&1 &
client=$!
# Kill silo 2 once two items train at once (one of them is then on silo 2, which runs one at a time).
for _ in $(seq 1 120); do
  if [[ "$(find "$work/art/items" -maxdepth 2 -name 'run.partial-*' 2>/dev/null | wc -l)" -ge 2 ]]; then break; fi
  sleep 0.5
done
kill -9 "$silo2"
wait "$client"
diff "$work/local/sweep.md" "$work/cluster/sweep.md"
diff "$work/local/sweep.json" "$work/cluster/sweep.json"
echo "identical tables after kill -9 of a silo"
