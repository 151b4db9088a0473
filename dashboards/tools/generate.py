#!/usr/bin/env python3
"""Writes the Grafana dashboards of strata_exporter (dashboards/*.json).

The JSON files are committed; this script is how they are made, so edit the
panels here and run `python3 dashboards/tools/generate.py`. It needs nothing
beyond the Python standard library. tests/unit/dashboards_test.cc checks the
output: units, datasource, variables, $__rate_interval, PromQL that parses and
metric names from the README catalogue.
"""

import json
import os

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.dirname(HERE)

DS = {"type": "prometheus", "uid": "${datasource}"}
# Every selector carries this: one host or the fleet, as the variables choose.
SEL = 'job=~"$job",instance=~"$instance"'
RI = "$__rate_interval"
HOST = "{{instance}}"
NOT_MATCHING = 'state!="matching"'
OUT_OF_SYNC = 'state="out_of_sync"'
CHANGED = 'state="changed"'
SYNC_OR_CHANGED = 'state=~"out_of_sync|changed"'
FAILED = 'state="failed"'
RUNNING = 'state="running"'
MODE_TOTAL = 'mode="total"'


def sel(extra=""):
    return "{" + SEL + ("," + extra if extra else "") + "}"


class Board:
    def __init__(self, uid, title, description, tags, instance_multi=True):
        self.uid, self.title, self.description = uid, title, description
        self.tags = ["strata"] + tags
        self.instance_multi = instance_multi
        self.panels = []
        self.next_id = 1
        self.x = 0
        self.y = 0
        self.row_h = 0

    def row(self, title):
        self._newline()
        self.panels.append({
            "id": self._id(), "type": "row", "title": title, "collapsed": False,
            "gridPos": {"h": 1, "w": 24, "x": 0, "y": self.y}, "panels": []})
        self.y += 1

    def panel(self, kind, title, targets, unit, w=12, h=8, description="", **extra):
        if self.x + w > 24:
            self._newline()
        refs = "ABCDEFGHIJ"
        tgts = []
        for i, t in enumerate(targets):
            expr, legend = t[0], t[1]
            opts = t[2] if len(t) > 2 else {}
            target = {"datasource": DS, "refId": refs[i], "expr": expr,
                      "legendFormat": legend, "range": True, "instant": False}
            if kind in ("table", "stat", "bargauge", "piechart"):
                target.update({"range": False, "instant": True})
            if kind == "table":
                target["format"] = "table"
            target.update(opts)
            tgts.append(target)
        defaults = {"unit": unit}
        defaults.update(extra.pop("defaults", {}))
        p = {
            "id": self._id(), "type": kind, "title": title, "description": description,
            "datasource": DS,
            "gridPos": {"h": h, "w": w, "x": self.x, "y": self.y},
            "fieldConfig": {"defaults": defaults, "overrides": extra.pop("overrides", [])},
            "options": extra.pop("options", {}),
            "targets": tgts,
        }
        if kind == "timeseries":
            p["options"] = {"legend": {"displayMode": "table", "placement": "bottom",
                                       "showLegend": True, "calcs": ["lastNotNull", "max"]},
                            "tooltip": {"mode": "multi", "sort": "desc"}, **p["options"]}
        p.update(extra)
        self.panels.append(p)
        self.x += w
        self.row_h = max(self.row_h, h)

    def _newline(self):
        if self.x:
            self.y += self.row_h
        self.x, self.row_h = 0, 0

    def _id(self):
        self.next_id += 1
        return self.next_id - 1

    def json(self):
        var_common = {"datasource": DS, "refresh": 2, "sort": 1, "hide": 0,
                      "includeAll": True, "multi": True,
                      "current": {"selected": True, "text": ["All"], "value": ["$__all"]}}
        job = dict(var_common, name="job", label="Job", type="query",
                   query={"query": "label_values(strata_exporter_build_info, job)",
                          "refId": "job"})
        inst = dict(var_common, name="instance", label="Instance", type="query",
                    query={"query": 'label_values(strata_exporter_build_info{job=~"$job"}, instance)',
                           "refId": "instance"})
        if not self.instance_multi:
            # No current value: Grafana selects the first host on load.
            inst.update(includeAll=False, multi=False)
            del inst["current"]
        return {
            "uid": self.uid, "title": self.title, "description": self.description,
            "tags": self.tags, "id": None, "version": 1, "schemaVersion": 38,
            "editable": True, "graphTooltip": 1, "timezone": "", "refresh": "1m",
            "time": {"from": "now-6h", "to": "now"}, "timepicker": {},
            "fiscalYearStartMonth": 0, "liveNow": False,
            "annotations": {"list": [{
                "builtIn": 1, "datasource": {"type": "grafana", "uid": "-- Grafana --"},
                "enable": True, "hide": True, "iconColor": "rgba(0, 211, 255, 1)",
                "name": "Annotations & Alerts", "type": "dashboard"}]},
            "links": [{"title": "strata dashboards", "type": "dashboards", "tags": ["strata"],
                       "asDropdown": True, "includeVars": True, "keepTime": True,
                       "icon": "external link", "targetBlank": False, "tooltip": ""}],
            "templating": {"list": [
                {"name": "datasource", "label": "Data source", "type": "datasource",
                 "query": "prometheus", "regex": "", "hide": 0, "refresh": 1,
                 "includeAll": False, "multi": False},
                job, inst]},
            "panels": self.panels,
        }

    def write(self, filename):
        with open(os.path.join(OUT, filename), "w") as f:
            json.dump(self.json(), f, indent=2, ensure_ascii=False)
            f.write("\n")


RATIO = "suffix:x"  # overcommit: allocated / physical
STATUS_MAP = [{"type": "value", "options": {
    "0": {"text": "failed", "color": "red", "index": 0},
    "1": {"text": "ok", "color": "green", "index": 1}}}]
TABLE_OPTS = {"showHeader": True, "cellHeight": "sm"}
HIDE_TIME = {"id": "organize", "options": {"excludeByName": {"Time": True, "__name__": True}}}


def label_table(*columns):
    """A table of one info-style query's labels, in the order given (the
    host first); the sample value, time and metric name are hidden."""
    return [{"id": "organize", "options": {
        "excludeByName": {"Time": True, "__name__": True, "Value": True},
        "indexByName": {name: i for i, name in enumerate(columns)}}}]


def drift_any():
    # A host drifts when a baseline has a non-matching file or package, a noop
    # or check run found resources out of sync, or Puppet left noop changes.
    return ("count by (job, instance) ("
            f'strata_drift_files{sel(NOT_MATCHING)} > 0'
            f' or strata_drift_packages{sel(NOT_MATCHING)} > 0'
            f' or strata_convergence_resources{sel(OUT_OF_SYNC)} > 0'
            f' or (strata_convergence_resources{sel(CHANGED)} > 0'
            f" and on (job, instance, tool) strata_convergence_noop{sel()} == 1)"
            f" or strata_puppet_noop_pending{sel()} == 1)")


def vcpu_ratio(scope='scope="running"'):
    return (f"strata_hypervisor_vcpus_allocated{sel(scope)}"
            f" / ignoring (scope) group_left strata_hypervisor_cpus{sel()}")


def mem_ratio(scope='scope="running"'):
    return (f"strata_hypervisor_memory_allocated_bytes{sel(scope)}"
            f" / ignoring (scope) group_left strata_hypervisor_memory_bytes{sel()}")


def fleet():
    b = Board("strata-fleet", "Strata / Fleet overview",
              "Every host running strata_exporter: roles, images, convergence health, "
              "overcommit and drift.", ["fleet"])
    b.row("Fleet")
    b.panel("stat", "Hosts", [(f"count(strata_exporter_build_info{sel()})", "hosts")],
            "short", w=4, h=4)
    b.panel("stat", "Exporters up", [(f"sum(up{sel()})", "up")], "short", w=4, h=4)
    b.panel("stat", "Distinct image versions",
            [(f"count(count by (image_id, image_version) (strata_image_info{sel()}))",
              "versions")], "short", w=4, h=4)
    b.panel("stat", "Hosts whose last run failed",
            [(f"count(strata_convergence_last_run_success{sel()} == 0) or vector(0)",
              "hosts")], "short", w=4, h=4,
            defaults={"thresholds": {"mode": "absolute", "steps": [
                {"color": "green", "value": None}, {"color": "red", "value": 1}]}})
    b.panel("stat", "Hosts with drift", [(f"count({drift_any()}) or vector(0)", "hosts")],
            "short", w=4, h=4,
            defaults={"thresholds": {"mode": "absolute", "steps": [
                {"color": "green", "value": None}, {"color": "orange", "value": 1}]}})
    b.panel("stat", "Collectors failing",
            [(f"count(strata_scrape_collector_success{sel()} == 0) or vector(0)",
              "collectors")], "short", w=4, h=4,
            defaults={"thresholds": {"mode": "absolute", "steps": [
                {"color": "green", "value": None}, {"color": "red", "value": 1}]}})
    b.panel("piechart", "Hosts by role",
            [(f"count by (role) (strata_host_virtualization_info{sel()})", "{{role}}")],
            "short", w=8, h=8,
            options={"legend": {"displayMode": "table", "placement": "right",
                                "values": ["value"], "showLegend": True},
                     "pieType": "donut", "reduceOptions": {"calcs": ["lastNotNull"]}})
    b.panel("bargauge", "Hosts per image version",
            [(f"sort_desc(count by (image_id, image_version) (strata_image_info{sel()}))",
              "{{image_id}} {{image_version}}")], "short", w=8, h=8,
            options={"orientation": "horizontal", "displayMode": "basic",
                     "reduceOptions": {"calcs": ["lastNotNull"]}})
    b.panel("table", "Convergence health per tool", [
        (f"count by (tool) (strata_convergence_last_run_success{sel()})", ""),
        (f"sum by (tool) (strata_convergence_last_run_success{sel()})", ""),
        (f"sum by (tool) (time() - strata_convergence_last_run_timestamp_seconds{sel()}"
         " > bool 7200)", ""),
        (f"sum by (tool) (strata_convergence_agent_disabled{sel()})", ""),
    ], "short", w=8, h=8, options=TABLE_OPTS,
        description="Hosts reporting each tool, how many of their last runs succeeded, how "
                    "many have not run for two hours, and how many agents are disabled.",
        transformations=[{"id": "merge", "options": {}}, {"id": "organize", "options": {
            "excludeByName": {"Time": True},
            "renameByName": {"Value #A": "hosts", "Value #B": "last run ok",
                             "Value #C": "no run for 2h", "Value #D": "agent disabled"}}}])
    b.row("Overcommit")
    b.panel("bargauge", "Most overcommitted hypervisors: vCPUs (running)",
            [(f"topk(10, {vcpu_ratio()})", HOST)], RATIO, w=12, h=8,
            description="vCPUs of running domains per logical CPU of the host.",
            options={"orientation": "horizontal", "displayMode": "gradient",
                     "reduceOptions": {"calcs": ["lastNotNull"]}},
            defaults={"decimals": 2, "min": 0, "thresholds": {"mode": "absolute", "steps": [
                {"color": "green", "value": None}, {"color": "orange", "value": 4},
                {"color": "red", "value": 8}]}})
    b.panel("bargauge", "Most overcommitted hypervisors: memory (running)",
            [(f"topk(10, {mem_ratio()})", HOST)], RATIO, w=12, h=8,
            description="Maximum memory of running domains per byte of host memory.",
            options={"orientation": "horizontal", "displayMode": "gradient",
                     "reduceOptions": {"calcs": ["lastNotNull"]}},
            defaults={"decimals": 2, "min": 0, "thresholds": {"mode": "absolute", "steps": [
                {"color": "green", "value": None}, {"color": "orange", "value": 1},
                {"color": "red", "value": 1.5}]}})
    b.row("Drift")
    b.panel("table", "Hosts with drift", [
        (f"sum by (job, instance) (strata_drift_files{sel(NOT_MATCHING)})", ""),
        (f"sum by (job, instance) (strata_drift_packages{sel(NOT_MATCHING)})", ""),
        (f"sum by (job, instance) (strata_convergence_resources{sel(OUT_OF_SYNC)})",
         ""),
        (f"max by (job, instance) (strata_puppet_noop_pending{sel()})", ""),
    ], "short", w=24, h=8, options=TABLE_OPTS,
        description="Drifted files and packages over all baselines, resources a noop run "
                    "found out of sync, and Puppet's noop_pending flag; hosts with none are "
                    "hidden.",
        transformations=[
            {"id": "merge", "options": {}},
            {"id": "filterByValue", "options": {"type": "include", "match": "any", "filters": [
                {"fieldName": f"Value #{r}", "config": {"id": "greater", "options": {"value": 0}}}
                for r in "ABCD"]}},
            {"id": "organize", "options": {
                "excludeByName": {"Time": True},
                "renameByName": {"Value #A": "drifted files", "Value #B": "drifted packages",
                                 "Value #C": "out-of-sync resources",
                                 "Value #D": "puppet noop pending"}}}])
    return b


def host():
    b = Board("strata-host", "Strata / Host detail",
              "One host: its capacity, CPU steal, and the exporter itself (collectors, "
              "process).", ["host"], instance_multi=False)
    b.row("Host")
    b.panel("stat", "Role", [(f"strata_host_virtualization_info{sel()}",
                              "{{role}} ({{hypervisor}}, {{container_runtime}})")],
            "none", w=6, h=4, options={"textMode": "name", "colorMode": "none",
                                       "reduceOptions": {"calcs": ["lastNotNull"]}})
    b.panel("stat", "Image", [(f"strata_image_info{sel()}",
                               "{{image_id}} {{image_version}} ({{os_id}} {{os_version}})")],
            "none", w=6, h=4, options={"textMode": "name", "colorMode": "none",
                                       "reduceOptions": {"calcs": ["lastNotNull"]}})
    b.panel("stat", "CPUs", [(f"strata_host_cpus{sel()}", "CPUs")], "short", w=4, h=4)
    b.panel("stat", "Memory", [(f"strata_host_memory_bytes{sel()}", "memory")], "bytes",
            w=4, h=4)
    b.panel("stat", "Exporter version", [(f"strata_exporter_build_info{sel()}",
                                          "{{version}} {{revision}}")],
            "none", w=4, h=4, options={"textMode": "name", "colorMode": "none",
                                       "reduceOptions": {"calcs": ["lastNotNull"]}})
    b.panel("timeseries", "CPU steal", [
        (f"rate(strata_host_cpu_steal_seconds_total{sel()}[{RI}])"
         f" / strata_host_cpus{sel()}", "steal {{instance}}")], "percentunit", w=24,
        description="Share of this host's CPU time the hypervisor gave to something else.",
        defaults={"min": 0})
    b.row("Exporter")
    b.panel("timeseries", "Collector success", [
        (f"strata_scrape_collector_success{sel()}", "{{collector}} {{instance}}"),
        (f"up{sel()}", "up {{instance}}")], "none", w=12,
        defaults={"min": 0, "max": 1, "mappings": STATUS_MAP})
    b.panel("timeseries", "Collector duration", [
        (f"strata_scrape_collector_duration_seconds{sel()}", "{{collector}} {{instance}}")],
        "s", w=12, defaults={"min": 0})
    b.panel("timeseries", "Exporter CPU", [
        (f"rate(process_cpu_seconds_total{sel()}[{RI}])", "CPU {{instance}}")],
        "percentunit", w=8, description="100% is one CPU.", defaults={"min": 0})
    b.panel("timeseries", "Exporter memory", [
        (f"process_resident_memory_bytes{sel()}", "resident {{instance}}"),
        (f"process_virtual_memory_bytes{sel()}", "virtual {{instance}}")], "bytes", w=8,
        defaults={"min": 0})
    b.panel("timeseries", "Exporter file descriptors", [
        (f"process_open_fds{sel()} / process_max_fds{sel()}", "open / max {{instance}}")],
        "percentunit", w=8, defaults={"min": 0})
    b.panel("stat", "Exporter uptime", [
        (f"time() - process_start_time_seconds{sel()}", "{{instance}}")], "s", w=8, h=4)
    b.panel("stat", "Cgroups skipped", [
        (f"sum by (reason) (strata_cgroup_skipped{sel()})", "{{reason}}")], "short", w=8,
        h=4)
    b.panel("stat", "Drift hashing", [
        (f"rate(strata_drift_hashed_bytes_total{sel()}[{RI}])", "{{instance}}")], "Bps",
        w=8, h=4)
    return b


def cgroups():
    b = Board("strata-cgroups", "Strata / Containers and cgroups",
              "Cgroups of the selected hosts: CPU against limit, throttling, working set "
              "against limit, OOM kills and pressure. The busiest 10 are shown.",
              ["cgroup", "containers"])
    cg = "{{instance}} {{cgroup}}"
    b.row("Commitment")
    b.panel("timeseries", "CPU limits committed / host CPUs", [
        (f"sum by (job, instance) (strata_cgroup_committed_cpu_cores{sel()})"
         f" / on (job, instance) strata_host_cpus{sel()}", HOST)], "percentunit", w=12,
        defaults={"min": 0})
    b.panel("timeseries", "Memory limits committed / host memory", [
        (f"sum by (job, instance) (strata_cgroup_committed_memory_bytes{sel()})"
         f" / on (job, instance) strata_host_memory_bytes{sel()}", HOST)], "percentunit",
        w=12, defaults={"min": 0})
    b.row("CPU")
    b.panel("timeseries", "CPU used / CPU limit", [
        (f"topk(10, sum by (job, instance, cgroup) "
         f"(rate(strata_cgroup_cpu_usage_seconds_total{sel()}[{RI}]))"
         f" / on (job, instance, cgroup) strata_cgroup_cpu_limit_cores{sel()})", cg)],
        "percentunit", w=12, description="Cgroups with a CPU limit only.",
        defaults={"min": 0})
    b.panel("timeseries", "CPU used", [
        (f"topk(10, sum by (job, instance, cgroup) "
         f"(rate(strata_cgroup_cpu_usage_seconds_total{sel()}[{RI}])))", cg)],
        "percentunit", w=12, description="100% is one CPU.", defaults={"min": 0})
    b.panel("timeseries", "Throttled periods / periods", [
        (f"topk(10, rate(strata_cgroup_cpu_throttled_periods_total{sel()}[{RI}])"
         f" / (rate(strata_cgroup_cpu_periods_total{sel()}[{RI}]) > 0))", cg)],
        "percentunit", w=12,
        description="Share of CFS periods in which the cgroup hit its quota. A high ratio "
                    "alone is common and often harmless: check the time throttled too.",
        defaults={"min": 0, "max": 1})
    b.panel("timeseries", "Time throttled", [
        (f"topk(10, rate(strata_cgroup_cpu_throttled_seconds_total{sel()}[{RI}]))", cg)],
        "percentunit", w=12, description="Throttled seconds per second, summed over the "
                                         "cgroup's tasks.", defaults={"min": 0})
    b.row("Memory")
    b.panel("timeseries", "Working set / memory limit", [
        (f"topk(10, strata_cgroup_memory_working_set_bytes{sel()}"
         f" / strata_cgroup_memory_limit_bytes{sel()})", cg)], "percentunit", w=12,
        description="Cgroups with a memory limit only; the kernel reclaims, then OOM-kills, "
                    "near 100%.", defaults={"min": 0})
    b.panel("timeseries", "Working set", [
        (f"topk(10, strata_cgroup_memory_working_set_bytes{sel()})", cg)], "bytes", w=12,
        defaults={"min": 0})
    b.panel("timeseries", "OOM kills", [
        (f"topk(10, increase(strata_cgroup_memory_oom_kills_total{sel()}[{RI}]))", cg)],
        "short", w=12, defaults={"min": 0, "decimals": 0})
    b.panel("table", "Containers", [
        (f"strata_container_info{sel()}", "")], "none", w=12, options=TABLE_OPTS,
        transformations=label_table("instance", "name", "image", "id", "image_id", "job"))
    b.row("Pressure")
    for res in ("cpu", "memory", "io"):
        b.panel("timeseries", f"{res.upper() if res != 'memory' else 'Memory'} pressure", [
            (f"topk(5, rate(strata_cgroup_pressure_{res}_waiting_seconds_total{sel()}[{RI}]))",
             "some " + cg),
            (f"topk(5, rate(strata_cgroup_pressure_{res}_stalled_seconds_total{sel()}[{RI}]))",
             "full " + cg)], "percentunit", w=8,
            description="Share of time some (or all non-idle) tasks waited (PSI).",
            defaults={"min": 0})
    return b


def hypervisor():
    b = Board("strata-hypervisor", "Strata / Hypervisor",
              "libvirt hypervisors: VM density, overcommit, and per-VM CPU, vCPU delay and "
              "balloon.", ["libvirt", "hypervisor"])
    vm = "{{instance}} {{domain}}"
    b.row("Host")
    b.panel("stat", "libvirt up", [(f"min(strata_libvirt_up{sel()})", "up")], "none", w=6,
            h=4, defaults={"mappings": STATUS_MAP})
    b.panel("stat", "Running domains",
            [(f"sum(strata_hypervisor_domains{sel(RUNNING)})", "running")],
            "short", w=6, h=4)
    b.panel("stat", "Host CPUs", [(f"sum(strata_hypervisor_cpus{sel()})", "CPUs")], "short",
            w=6, h=4)
    b.panel("stat", "Host memory", [(f"sum(strata_hypervisor_memory_bytes{sel()})",
                                     "memory")], "bytes", w=6, h=4)
    b.panel("timeseries", "Domains by state", [
        (f"sum by (job, instance, state) (strata_hypervisor_domains{sel()})",
         "{{instance}} {{state}}")], "short", w=12, defaults={"min": 0, "decimals": 0})
    b.panel("table", "Domain states", [
        (f"sort(strata_domain_state{sel()})", "")], "none", w=12,
        description="Each domain's state and the reason libvirt gives; look for paused "
                    "and crashed.",
        options=TABLE_OPTS,
        transformations=label_table("instance", "domain", "state", "reason", "job"))
    b.row("Overcommit")
    b.panel("timeseries", "vCPU overcommit", [
        (vcpu_ratio('scope=~".+"'), "{{instance}} {{scope}}")], RATIO, w=12,
        description="vCPUs allocated per logical CPU of the host: running domains, and every "
                    "defined domain (if all were started).", defaults={"min": 0, "decimals": 2})
    b.panel("timeseries", "Memory overcommit", [
        (mem_ratio('scope=~".+"'), "{{instance}} {{scope}}")], RATIO, w=12,
        description="Maximum memory allocated per byte of host memory.",
        defaults={"min": 0, "decimals": 2})
    b.row("Domains")
    b.panel("timeseries", "CPU per VM", [
        (f"topk(10, rate(strata_domain_cpu_time_seconds_total{sel(MODE_TOTAL)}[{RI}]))",
         vm)], "percentunit", w=12, description="100% is one host CPU.",
        defaults={"min": 0})
    b.panel("timeseries", "CPU used / vCPUs", [
        (f"topk(10, rate(strata_domain_cpu_time_seconds_total{sel(MODE_TOTAL)}[{RI}])"
         f" / ignoring (mode) strata_domain_vcpus{sel()})", vm)], "percentunit", w=12,
        description="How much of its vCPUs each VM uses; low values are VMs sized too big.",
        defaults={"min": 0})
    b.panel("timeseries", "vCPU delay", [
        (f"topk(10, rate(strata_domain_cpu_delay_seconds_total{sel()}[{RI}])"
         f" / strata_domain_vcpus{sel()})", vm)], "percentunit", w=12,
        description="Share of its vCPUs' time each VM waited for a host CPU: the steal its "
                    "guest sees.", defaults={"min": 0})
    b.panel("timeseries", "Balloon / maximum memory", [
        (f"topk(10, strata_domain_memory_balloon_bytes{sel()}"
         f" / strata_domain_memory_maximum_bytes{sel()})", vm)], "percentunit", w=12,
        description="Memory the balloon gives each guest against its maximum; below 100% the "
                    "host has reclaimed memory.", defaults={"min": 0})
    b.panel("timeseries", "Balloon and maximum memory", [
        (f"topk(10, strata_domain_memory_balloon_bytes{sel()})", "balloon " + vm),
        (f"topk(10, strata_domain_memory_maximum_bytes{sel()})", "maximum " + vm)],
        "bytes", w=24, defaults={"min": 0})
    return b


def convergence():
    b = Board("strata-convergence", "Strata / Convergence and drift",
              "Configuration management runs (Puppet, CFEngine, Ansible, Chef) and file and "
              "package baselines.", ["convergence", "drift"])
    tool = "{{instance}} {{tool}}"
    b.row("Runs")
    b.panel("timeseries", "Last run age", [
        (f"time() - strata_convergence_last_run_timestamp_seconds{sel()}", tool)], "s",
        w=12, description="Seconds since each tool's last run; a steady climb is a tool that "
                          "stopped running.", defaults={"min": 0})
    b.panel("table", "Last run per host and tool", [
        # Without the metric name, so that merge joins the four on their labels.
        (f"time() - strata_convergence_last_run_timestamp_seconds{sel()}", ""),
        (f"max without (__name__) (strata_convergence_last_run_success{sel()})", ""),
        (f"max without (__name__) (strata_convergence_noop{sel()})", ""),
        (f"max without (__name__) (strata_convergence_agent_disabled{sel()})", "")], "short", w=12,
        options=TABLE_OPTS,
        transformations=[{"id": "merge", "options": {}}, {"id": "organize", "options": {
            "excludeByName": {"Time": True},
            "renameByName": {"Value #A": "age", "Value #B": "success", "Value #C": "noop",
                             "Value #D": "disabled"}}}],
        overrides=[{"matcher": {"id": "byName", "options": "age"},
                    "properties": [{"id": "unit", "value": "s"}]},
                   {"matcher": {"id": "byName", "options": "success"},
                    "properties": [{"id": "mappings", "value": STATUS_MAP}]}])
    b.panel("timeseries", "Failed last runs by tool", [
        (f"sum by (tool) (1 - strata_convergence_last_run_success{sel()})", "{{tool}}")],
        "short", w=8, description="Hosts whose last run of each tool failed.",
        defaults={"min": 0, "decimals": 0})
    b.panel("timeseries", "Failed resources", [
        (f"strata_convergence_resources{sel(FAILED)}", tool)], "short", w=8,
        defaults={"min": 0, "decimals": 0})
    b.panel("timeseries", "Run duration", [
        (f"strata_convergence_last_run_duration_seconds{sel()}", tool)], "s", w=8,
        defaults={"min": 0})
    b.row("Drift")
    b.panel("timeseries", "Out-of-sync and changed resources", [
        (f"strata_convergence_resources{sel(SYNC_OR_CHANGED)}",
         "{{instance}} {{tool}} {{state}}")], "short", w=12,
        description="After a noop or check run (noop = 1) these are drift; after a real run, "
                    "changes made.", defaults={"min": 0, "decimals": 0})
    b.panel("timeseries", "Puppet noop pending", [
        (f"strata_puppet_noop_pending{sel()}", HOST)], "none", w=12,
        defaults={"min": 0, "max": 1})
    b.panel("timeseries", "Drifted files per baseline", [
        (f"sum by (job, instance, baseline, state) "
         f"(strata_drift_files{sel(NOT_MATCHING)})",
         "{{instance}} {{baseline}} {{state}}")], "short", w=12,
        defaults={"min": 0, "decimals": 0})
    b.panel("timeseries", "Drifted packages per baseline", [
        (f"sum by (job, instance, baseline, state) "
         f"(strata_drift_packages{sel(NOT_MATCHING)})",
         "{{instance}} {{baseline}} {{state}}")], "short", w=12,
        defaults={"min": 0, "decimals": 0})
    b.panel("table", "Drifted files", [(f"strata_drift_file_drifted{sel()}", "")], "none",
            w=12, options=TABLE_OPTS,
            transformations=label_table("instance", "baseline", "path", "state", "job"))
    b.panel("table", "Drifted packages", [(f"strata_drift_package_drifted{sel()}", "")],
            "none", w=12, options=TABLE_OPTS,
            transformations=label_table("instance", "baseline", "package", "state",
                                        "expected_version", "installed_version", "job"))
    b.panel("timeseries", "CFEngine promises", [
        (f"strata_cfengine_promises_ratio{sel()}", "{{instance}} {{outcome}}")],
        "percentunit", w=24, defaults={"min": 0, "max": 1})
    return b


if __name__ == "__main__":
    for name, make in (("fleet.json", fleet), ("host.json", host), ("cgroups.json", cgroups),
                       ("hypervisor.json", hypervisor), ("convergence.json", convergence)):
        make().write(name)
