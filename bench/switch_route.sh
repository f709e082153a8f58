#!/usr/bin/env bash
# Benchmarks callsightd's switch listener: wrk POSTs /switch/route on keep-alive
# connections, each request with a new call_id. See bench/README.md.
set -euo pipefail

usage() {
  cat <<'USAGE'
usage: bench/switch_route.sh [options]
  --switch URL        switch listener (default http://127.0.0.1:8081)
  --dialled NUMBER    tracking number to dial; without it a customer and a source are
                      created through the partner API (--api, demo/demo) and its destnr used
  --api URL           partner API for that set-up (default http://127.0.0.1:8080)
  --caller NUMBER     caller number (default +46701111111)
  --duration D        wrk duration, e.g. 30s (default 20s)
  --connections N     keep-alive connections (default 32)
  --threads N         wrk threads (default 2)
The secret comes from env CALLSIGHT_SWITCH_SECRET (default "demo", what callsightd --demo
uses when the variable is unset).
USAGE
}

switch_url=http://127.0.0.1:8081
api_url=http://127.0.0.1:8080
dialled=""
caller=+46701111111
duration=20s
connections=32
threads=2
while [ $# -gt 0 ]; do
  case "$1" in
    --switch) switch_url=$2; shift 2 ;;
    --dialled) dialled=$2; shift 2 ;;
    --api) api_url=$2; shift 2 ;;
    --caller) caller=$2; shift 2 ;;
    --duration) duration=$2; shift 2 ;;
    --connections) connections=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    -h|--help) usage; exit 0 ;;
    *) echo "switch_route.sh: unknown option $1" >&2; usage >&2; exit 2 ;;
  esac
done

command -v wrk >/dev/null || { echo "switch_route.sh: wrk is missing (apt-get install wrk)" >&2; exit 1; }
export CALLSIGHT_SWITCH_SECRET=${CALLSIGHT_SWITCH_SECRET:-demo}
here=$(cd "$(dirname "$0")" && pwd)

json_field() {  # json_field KEY FIELD: first object of the list under KEY
  python3 -c 'import json,sys; print(json.load(sys.stdin)[sys.argv[1]][0][sys.argv[2]])' "$1" "$2"
}

if [ -z "$dialled" ]; then
  auth=(--silent --show-error --fail --digest -u demo:demo)
  customer=$(curl "${auth[@]}" -d name=SwitchBench -d "custnr=bench-$(date +%s%N)" \
    "$api_url/customers" | json_field customers customer_id)
  dialled=$(curl "${auth[@]}" -d "customer_id=$customer" -d name=SwitchBench \
    -d media=bench -d phonenr=0890510 "$api_url/sources" | json_field sources destnr)
  echo "switch_route.sh: created customer $customer with tracking number $dialled"
fi

# One probe first, so a wrong secret or URL fails loudly instead of as 100% non-2xx.
probe_body=$(mktemp)
trap 'rm -f "$probe_body"' EXIT
probe=$(curl --silent --show-error -o "$probe_body" -w '%{http_code}' \
  -H 'Content-Type: application/json' -H "X-Callsight-Switch-Secret: $CALLSIGHT_SWITCH_SECRET" \
  -d "{\"call_id\":\"bench-probe-$(date +%s%N)\",\"caller\":\"$caller\",\"dialled\":\"$dialled\"}" \
  "$switch_url/switch/route" || true)
if [ "$probe" != 200 ]; then
  echo "switch_route.sh: probe got HTTP $probe from $switch_url/switch/route: $(cat "$probe_body")" >&2
  exit 1
fi
echo "switch_route.sh: probe answered $(cat "$probe_body")"

echo "switch_route.sh: $switch_url, dialled $dialled, $connections connections, $threads threads, $duration"
wrk --latency -t "$threads" -c "$connections" -d "$duration" -s "$here/switch_route.lua" \
  "$switch_url/switch/route" -- "$dialled" "$caller"
