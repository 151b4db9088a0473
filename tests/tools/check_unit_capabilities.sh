#!/usr/bin/env bash
# Runs the exporter with only the capabilities deploy/strata_exporter.service
# keeps (its CapabilityBoundingSet), without new privileges, as root, and
# checks every default collector still succeeds on this host:
#   check_unit_capabilities.sh EXPORTER UNIT_FILE
# systemd is not PID 1 on the CI machines, so the unit itself cannot be
# started; setpriv applies the same capability bound to the same binary.
set -euo pipefail
exporter=${1:?usage: check_unit_capabilities.sh EXPORTER UNIT_FILE}
unit=${2:?usage: check_unit_capabilities.sh EXPORTER UNIT_FILE}

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[[ -n "$caps" ]] || { echo "no CapabilityBoundingSet in $unit" >&2; exit 1; }
bound="-all"
for cap in $caps; do
  cap=${cap#CAP_}
  bound+=",+${cap,,}"
done

log=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
setpriv --bounding-set="$bound" --inh-caps=-all --no-new-privs \
  "$exporter" --web.listen-address=127.0.0.1:0 2>"$log" &
pid=$!
port=""
for _ in $(seq 100); do
  port=$(sed -n 's/.*msg=listening .*port=\([0-9]*\).*/\1/p' "$log")
  [[ -n "$port" ]] && break
  sleep 0.1
done
[[ -n "$port" ]] || { echo "exporter did not start:" >&2; cat "$log" >&2; exit 1; }

# The bound really applies to the running exporter.
grep -q "^CapBnd:" "/proc/$pid/status"
echo "capability bound of the exporter: $(sed -n 's/^CapBnd:\t//p' "/proc/$pid/status") ($caps)"

metrics=$(curl -sf "http://127.0.0.1:$port/metrics")
failed=$(grep '^strata_scrape_collector_success{' <<<"$metrics" | grep ' 0$' || true)
succeeded=$(grep -c '^strata_scrape_collector_success{.*} 1$' <<<"$metrics" || true)
if [[ -n "$failed" ]]; then
  echo "collectors failing with only $caps:" >&2
  echo "$failed" >&2
  cat "$log" >&2
  exit 1
fi
if ((succeeded < 5)); then
  echo "only $succeeded collectors reported success" >&2
  exit 1
fi
echo "all $succeeded default collectors succeed with only $caps"
