#!/usr/bin/env python3
"""Checks that the deployment files agree with each other:
    check_deploy_manifests.py SOURCE_DIR
The DaemonSet (deploy/kubernetes/daemonset.yaml) passes the image's default
flags (deploy/Dockerfile's CMD) and mounts what each --path.* flag names from
the host's /proc, /sys and /, read-only; it runs with hostNetwork and hostPID,
without privilege escalation, on a read-only root, with exactly the
capabilities the systemd unit keeps (deploy/strata_exporter.service) and the
Dockerfile's documented `podman run` adds; the same mounts are in that command
line; it has resource requests within its limits. The Service selects the
DaemonSet's pods and targets a port the container names, and the scrape job
(prometheus-scrape-config.yml) keeps that Service and port. No Kubernetes runs
here: scripts/test-container runs the pod template with podman kube play."""
import json
import re
import sys

import yaml


def fail(message):
    sys.exit("check_deploy_manifests: " + message)


def main(source):
    dockerfile = open(source + "/deploy/Dockerfile").read()
    unit = open(source + "/deploy/strata_exporter.service").read()
    daemonset = yaml.safe_load(open(source + "/deploy/kubernetes/daemonset.yaml"))
    service = yaml.safe_load(open(source + "/deploy/kubernetes/service.yaml"))
    scrape = yaml.safe_load(open(source + "/deploy/kubernetes/prometheus-scrape-config.yml"))

    template = daemonset["spec"]["template"]
    spec = template["spec"]
    if len(spec["containers"]) != 1:
        fail("the DaemonSet should have one container")
    container = spec["containers"][0]

    # Flags: the image's CMD, then only the listen address.
    cmd = json.loads(re.search(r"^CMD (\[.*\])$", dockerfile, re.M).group(1))
    args = [a for a in container["args"] if not a.startswith("--web.listen-address=")]
    if args != cmd:
        fail("the DaemonSet's args %s are not the Dockerfile's CMD %s" % (args, cmd))

    # Mounts: each --path.* is the host's tree, read-only, in the DaemonSet
    # and in the Dockerfile's documented podman run.
    host_paths = {v["name"]: v["hostPath"]["path"] for v in spec["volumes"] if "hostPath" in v}
    mounts = {m["mountPath"]: (host_paths.get(m["name"]), m.get("readOnly"))
              for m in container["volumeMounts"]}
    documented_run = " ".join(line.lstrip("# ").rstrip("\\ ")
                              for line in dockerfile.splitlines() if line.startswith("#"))
    for flag, host_path in (("procfs", "/proc"), ("sysfs", "/sys"), ("rootfs", "/")):
        path = [a for a in cmd if a.startswith("--path.%s=" % flag)][0].split("=", 1)[1]
        if mounts.get(path) != (host_path, True):
            fail("--path.%s=%s is not the host's %s mounted read-only: %s" % (flag, path, host_path, mounts))
        if not re.search(r"-v %s:%s:ro\b" % (re.escape(host_path), re.escape(path)), documented_run):
            fail("the Dockerfile does not document -v %s:%s:ro" % (host_path, path))
    root_mount = [m for m in container["volumeMounts"] if host_paths.get(m["name"]) == "/"][0]
    if root_mount.get("mountPropagation") != "HostToContainer":
        fail("the host's / should be mounted with HostToContainer propagation (rslave)")

    # Namespaces and privileges.
    if not (spec.get("hostNetwork") and spec.get("hostPID")):
        fail("the DaemonSet lacks hostNetwork or hostPID")
    if "--net=host" not in documented_run or "--pid=host" not in documented_run:
        fail("the Dockerfile's documented run lacks --net=host or --pid=host")
    security = container["securityContext"]
    if security.get("allowPrivilegeEscalation") is not False or not security.get("readOnlyRootFilesystem"):
        fail("the container may escalate privileges or write its root file system")
    unit_caps = sorted(c[len("CAP_"):] for c in
                       re.search(r"^CapabilityBoundingSet=(.*)$", unit, re.M).group(1).split())
    if security["capabilities"].get("drop") != ["ALL"] or sorted(security["capabilities"]["add"]) != unit_caps:
        fail("the DaemonSet's capabilities %s are not the unit's %s" % (security["capabilities"], unit_caps))
    documented_caps = sorted(re.findall(r"--cap-add=(\w+)", documented_run))
    if "--cap-drop=ALL" not in documented_run or documented_caps != unit_caps:
        fail("the Dockerfile documents --cap-add %s, the unit keeps %s" % (documented_caps, unit_caps))

    # Resources: requests within limits.
    resources = container["resources"]
    units = {"m": 1e-3, "Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "": 1}

    def quantity(text):
        number, suffix = re.fullmatch(r"([0-9.]+)([A-Za-z]*)", str(text)).groups()
        return float(number) * units[suffix]

    for resource in ("cpu", "memory"):
        if quantity(resources["requests"][resource]) > quantity(resources["limits"][resource]):
            fail("the %s request is above its limit" % resource)

    # Service and scrape job.
    labels = template["metadata"]["labels"]
    if any(labels.get(k) != v for k, v in service["spec"]["selector"].items()):
        fail("the Service's selector %s does not select the pods %s" % (service["spec"]["selector"], labels))
    port_names = {p["name"] for p in container["ports"]}
    service_port = service["spec"]["ports"][0]
    if service_port["targetPort"] not in port_names:
        fail("the Service targets %s, the container names %s" % (service_port["targetPort"], port_names))
    relabel = scrape["scrape_configs"][0]["relabel_configs"]
    keeps = {tuple(r["source_labels"]): r["regex"] for r in relabel if r.get("action") == "keep"}
    name_label = ("__meta_kubernetes_service_label_app_kubernetes_io_name",)
    if keeps.get(name_label) != service["metadata"]["labels"]["app.kubernetes.io/name"]:
        fail("the scrape job does not keep the Service's app.kubernetes.io/name")
    if keeps.get(("__meta_kubernetes_endpoint_port_name",)) != service_port["name"]:
        fail("the scrape job does not keep the Service's port %s" % service_port["name"])
    if "strata" not in scrape["scrape_configs"][0]["job_name"]:
        fail("the job name lacks 'strata', which the rules' default job selector expects")
    print("deployment files agree: flags %s, mounts %s, capabilities %s, resources %s"
          % (cmd, sorted(mounts), unit_caps, resources))


if __name__ == "__main__":
    main(sys.argv[1])
