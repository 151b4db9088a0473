#!/usr/bin/env bash
# Runs the exporter as deploy/strata_exporter.service does: as a user other
# than root with the unit's AmbientCapabilities, only its
# CapabilityBoundingSet, without new privileges, and checks every default
# collector still succeeds on this host:
#   check_unit_capabilities.sh EXPORTER UNIT_FILE
# systemd is not PID 1 on the CI machines, so the unit itself cannot be
# started; setpriv applies the same user and capabilities to the same binary.
# The unit's user is made by the Debian package; where it does not exist,
# nobody stands in for it (any unprivileged user is the same to the kernel).
set -euo pipefail
exporter=${1:?usage: check_unit_capabilities.sh EXPORTER UNIT_FILE}
unit=${2:?usage: check_unit_capabilities.sh EXPORTER UNIT_FILE}

caps=$(sed -n 's/^CapabilityBoundingSet=//p' "$unit")
[[ -n "$caps" ]] || { echo "no CapabilityBoundingSet in $unit" >&2; exit 1; }
ambient_caps=$(sed -n 's/^AmbientCapabilities=//p' "$unit")
[[ "$ambient_caps" == "$caps" ]] ||
  { echo "AmbientCapabilities ($ambient_caps) differ from CapabilityBoundingSet ($caps)" >&2; exit 1; }
user=$(sed -n 's/^User=//p' "$unit")
[[ -n "$user" && "$user" != root ]] || { echo "$unit runs as root" >&2; exit 1; }
getent passwd "$user" >/dev/null || user=nobody
bound="-all"
for cap in $caps; do
  cap=${cap#CAP_}
  bound+=",+${cap,,}"
done

log=$(mktemp)
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
setpriv --reuid="$user" --regid="$(id -g "$user")" --init-groups \
  --inh-caps="$bound" --ambient-caps="$bound" --bounding-set="$bound" --no-new-privs \
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
echo "exporter as $user: uid $(sed -n 's/^Uid:\t\([0-9]*\).*/\1/p' "/proc/$pid/status"), effective" \
  "capabilities $(sed -n 's/^CapEff:\t//p' "/proc/$pid/status"), bound" \
  "$(sed -n 's/^CapBnd:\t//p' "/proc/$pid/status") ($caps)"

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
