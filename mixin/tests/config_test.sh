#!/usr/bin/env bash
# Proves that mixin/config.libsonnet drives both the rules and the dashboards:
# generates them with overrides.libsonnet (another cluster label, job
# selector, threshold, name prefix...) and with no_cluster.libsonnet (no
# cluster label at all), and checks that each output is valid (promtool
# check rules on the rules and on every dashboard expression) and carries the
# override. Run by ctest (mixin_config_overrides); $PROMTOOL and $JSONNET name
# the binaries (default: on PATH).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
mixin=$(dirname "$here")
promtool=${PROMTOOL:-promtool}
jsonnet=${JSONNET:-jsonnet}
export JSONNET="$jsonnet"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
failures=0

fail() { echo "FAIL: $*" >&2; failures=$((failures + 1)); }
# has FILE TEXT: FILE contains TEXT (fixed string).
has() { grep -qF -- "$2" "$1" || fail "$1 lacks: $2"; }
lacks() { if grep -qF -- "$2" "$1"; then fail "$1 has: $2"; fi; }

# Every expression of the dashboards in DIR as a recording rule, with the
# variables filled in as Grafana would, so promtool can parse them (a rule
# file in JSON, which is YAML: jsonnet writes JSON natively, far faster than
# std.manifestYamlDoc).
dashboard_exprs_as_rules() {
  "$jsonnet" -J "$1" -e '
    local dashboards = [import "cgroups.json", import "convergence.json", import "density.json",
                        import "fleet.json", import "host.json", import "hypervisor.json"];
    local fill(e) = std.foldl(function(text, v) std.strReplace(text, v[0], v[1]),
                              [["$__rate_interval", "5m"], ["$cluster", ".*"], ["$job", ".*"],
                               ["$instance", ".*"]], e);
    local exprs = [t.expr for d in dashboards for p in d.panels if p.type != "row"
                   for t in p.targets];
    { groups: [{ name: "dashboards", rules: [
      { record: "dashboard:expr_%d:check" % i, expr: fill(exprs[i]) }
      for i in std.range(0, std.length(exprs) - 1)
    ] }] }'
}

# generate NAME CONFIG: the mixin's output with CONFIG in $tmp/NAME, checked
# with promtool.
generate() {
  local out="$tmp/$1"
  "$mixin/generate" --config "$2" --out "$out" >/dev/null
  "$promtool" check rules "$out/alerts/strata.rules.yml" >"$out/check-rules.txt" 2>&1 ||
    fail "$1: promtool check rules: $(cat "$out/check-rules.txt")"
  has "$out/check-rules.txt" "SUCCESS: 65 rules found"
  dashboard_exprs_as_rules "$out/dashboards" >"$out/dashboard-exprs.yml"
  "$promtool" check rules "$out/dashboard-exprs.yml" >"$out/check-exprs.txt" 2>&1 ||
    fail "$1: dashboard expressions: $(cat "$out/check-exprs.txt")"
  has "$out/check-exprs.txt" "SUCCESS"
}

# ---------------------------------------------------------------- overrides
generate overrides "$here/overrides.libsonnet"
rules="$tmp/overrides/alerts/strata.rules.yml"
dash="$tmp/overrides/dashboards"
# The rules: cluster label in joins and fleet counts, selector, threshold, name.
has "$rules" "/ on(k8s_cluster, instance, job) group_left"
has "$rules" "and on(k8s_cluster, instance, job, tool)"
has "$rules" "count by (k8s_cluster, image_id, image_version) (strata_image_info{job=\\\"node-strata\\\"})"
has "$rules" "strata:hypervisor_vcpu_overcommit:ratio{job=\\\"node-strata\\\",scope=\\\"running\\\"} > 6\""
has "$rules" "up{job=\\\"node-strata\\\"} == 0"
has "$rules" "alert: \"StrataHypervisorVCPUOvercommitHigh\""
has "$rules" "https://runbooks.example.com/strata/exporterdown"
# The guest join and right-sizing: the cluster label, the windows and the threshold.
has "$rules" "* on(k8s_cluster, uuid) group_left(guest_instance)"
has "$rules" "avg_over_time(strata:host_cpu_used:cores{job=\"node-strata\"}[7d])"
has "$rules" "avg_over_time(strata:domain_cpu_utilisation:ratio{job=\"node-strata\"}[3d]) < 0.1"
lacks "$rules" "strata.*"
if grep -v '^#' "$rules" | grep -qw cluster; then fail "$rules names the default cluster label"; fi
# The rules behave as configured (threshold, cluster, selector, labels).
cp "$here/overrides_test.yml" "$tmp/overrides/alerts/"
"$promtool" test rules "$tmp/overrides/alerts/overrides_test.yml" >"$tmp/unit.txt" 2>&1 ||
  fail "promtool test rules overrides_test.yml: $(cat "$tmp/unit.txt")"
# The dashboards: the same configuration.
for file in "$dash"/*.json; do
  has "$file" "k8s_cluster=~\\\"\$cluster\\\",job=~\\\"\$job\\\",instance=~\\\"\$instance\\\""
  has "$file" "\"uid\": \"acme-strata-"
  has "$file" "\"query\": \"label_values(strata_exporter_build_info{job=\\\"node-strata\\\"}, k8s_cluster)\""
  lacks "$file" "\"hide\": 2"
done
has "$dash/cgroups.json" "sum by (k8s_cluster, job, instance) (strata_cgroup_committed_cpu_cores"
has "$dash/cgroups.json" "\"legendFormat\": \"{{k8s_cluster}} {{instance}} {{cgroup}}\""
has "$dash/cgroups.json" "\"k8s_cluster\": 0"
# The fleet's vCPU overcommit gauge turns orange at the alert's threshold.
orange=$("$jsonnet" -e '[p.fieldConfig.defaults.thresholds.steps[1].value
  for p in (import "fleet.json").panels
  if p.title == "Most overcommitted hypervisors: vCPUs (running)"][0]' -J "$dash")
[[ "$orange" == 6 ]] || fail "fleet.json: vCPU overcommit gauge turns orange at $orange, not 6"

# ---------------------------------------------------------------- no cluster label
generate no_cluster "$here/no_cluster.libsonnet"
rules="$tmp/no_cluster/alerts/strata.rules.yml"
dash="$tmp/no_cluster/dashboards"
has "$rules" "/ on(instance, job) group_left"
has "$rules" "count(count by (image_version) (strata_image_info"
if grep -v '^#' "$rules" | grep -qw cluster; then fail "$rules names a cluster label"; fi
for file in "$dash"/*.json; do
  lacks "$file" "cluster"
  has "$file" "{job=~\\\"\$job\\\",instance=~\\\"\$instance\\\"}"
done

# ---------------------------------------------------------------- the defaults
# The committed files are the defaults' output (mixin_generated_files_up_to_date
# proves it): there, the threshold is the default 4.
has "$mixin/../alerts/strata.rules.yml" "scope=\\\"running\\\"} > 4\""

if ((failures)); then
  echo "config_test: $failures failure(s)" >&2
  exit 1
fi
echo "config_test: overrides, no cluster label and defaults generate valid, configured rules and dashboards"
