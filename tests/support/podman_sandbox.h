// A private, throw-away Podman for tests that need real containers: its own
// storage root under a temp dir (vfs driver, runc, cgroupfs manager, file
// events, so it needs neither systemd nor overlay nor a registry), a busybox
// image imported from busybox-static, the Docker-compatible API service
// (`podman system service`) on a private unix socket, and one cgroup parent
// per sandbox so every cgroup its containers get can be found and removed.
// Needs root and the Debian packages podman, runc and busybox-static.
//
// Usage, in a fixture:
//   SetUp:    ASSERT_EQ(sandbox_.Start(), "");
//   TearDown: EXPECT_THAT(sandbox_.Cleanup(), IsEmpty());
//
// Not thread-safe. While started it makes this process a child subreaper, so
// the conmon processes podman detaches stay its children and can be reaped;
// Cleanup() reaps every exited child of the process, so wait for children of
// your own (an ExporterProcess, say) before calling it. One sandbox at a time.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace strata::testing {

// What a podman command gave: on success `value` (the output, or the answer
// the call names) and an empty `error`; on failure `error` holds the command
// and podman's output.
struct PodmanResult {
  std::string value;
  std::string error;
  bool ok() const { return error.empty(); }
};

class PodmanSandbox {
 public:
  // The image Start() imports: busybox-static as /bin/busybox, CMD busybox
  // sh, and a few configuration files (/etc/motd, /etc/strata/app.conf,
  // /etc/strata/old.conf) for drift tests to change.
  static constexpr char kImage[] = "localhost/strata-test-busybox:latest";

  PodmanSandbox();
  PodmanSandbox(const PodmanSandbox&) = delete;
  PodmanSandbox& operator=(const PodmanSandbox&) = delete;
  // Calls Cleanup() if the test did not, and prints what it left to stderr.
  ~PodmanSandbox();

  // Checks the prerequisites (root, podman, runc, /bin/busybox), makes the
  // storage directory, imports kImage and starts the API service. Returns ""
  // on success, else what failed and how to install what is missing; what was
  // made by then is still removed by Cleanup().
  std::string Start();

  // Imports another build of kImage's file system as `reference` (e.g.
  // "localhost/strata-test-busybox:v2"), with /etc/build-id holding `build`,
  // so its image id differs. value: the image id (64 hex, no algorithm).
  PodmanResult BuildImage(const std::string& reference, const std::string& build);

  // Runs `podman run -d` of `image` (kImage by default) with `command`, named `name`, under
  // cgroup_parent(), without network, labelled `labels`, with `extra_args`
  // (e.g. {"--memory", "64m"}) before the image. value: the full id (64 hex).
  PodmanResult RunContainer(const std::string& name,
                            const std::map<std::string, std::string>& labels,
                            const std::vector<std::string>& extra_args = {},
                            const std::vector<std::string>& command = {"/bin/busybox", "sleep",
                                                                       "300"},
                            const std::string& image = kImage);

  // `podman stop --time 0`: the container is killed at once.
  PodmanResult StopContainer(const std::string& id_or_name);

  // `podman inspect --format format`. value: the last line of the answer
  // (podman prints warnings, if any, before it).
  PodmanResult Inspect(const std::string& id_or_name, const std::string& format);

  // Any podman command with this sandbox's storage flags, bounded by a
  // timeout. value: podman's whole output (stdout and stderr).
  PodmanResult Podman(const std::vector<std::string>& args) const;

  // Removes everything: stops the service, removes containers and images,
  // waits for (and at last kills) podman's processes, unmounts what is left,
  // removes the cgroups under cgroup_parent() and the storage directory.
  // Returns what was left behind or could not be removed (empty when all is
  // gone). Idempotent: a second call does nothing and returns nothing.
  std::vector<std::string> Cleanup();

  // The Docker-compatible API socket, e.g. "/tmp/strata-podman-AbC123/api.sock".
  const std::string& socket_path() const { return socket_; }
  // The cgroup parent of every container, e.g. "/strata-test-AbC123".
  const std::string& cgroup_parent() const { return cgroup_parent_; }
  // The random part of the names, e.g. "AbC123", to name containers by.
  const std::string& unique() const { return unique_; }
  // Where podman (cgroupfs manager) puts the container's cgroup, relative to
  // each hierarchy's root: cgroup_parent()/libpod-<full id>.
  std::string ContainerCgroup(const std::string& full_id) const;

 private:
  class Service;

  std::vector<std::string> PodmanArgv(const std::vector<std::string>& args) const;
  // Imports the rootfs, plus /etc/build-id holding `build` when not empty, as `reference`.
  std::string ImportImage(const std::string& reference, const std::string& build);
  std::string StartService();

  std::string podman_;
  std::string dir_;
  std::string unique_;
  std::string cgroup_parent_;
  std::string socket_;
  std::unique_ptr<Service> service_;
  bool started_ = false;  // Start() was called and Cleanup() has not run since
  int previous_subreaper_ = 0;
};

}  // namespace strata::testing
