// Parsing what ansible-playbook prints with the `json` stdout callback
// (ansible.posix.json; ANSIBLE_STDOUT_CALLBACK=json), or ansible-pull's
// output with that callback, which puts a few lines of its own (the start
// banner, the repository checkout) before it:
//
//   {"custom_stats": {}, "global_custom_stats": {"check_mode": true},
//    "plays": [{"play": {"duration": {"start": "2026-11-22T03:22:18.820255Z",
//                                     "end": "2026-11-22T03:22:19.180826Z"}, ...},
//               "tasks": [...]}],
//    "stats": {"localhost": {"changed": 1, "failures": 0, "ignored": 0, "ok": 2,
//                            "rescued": 0, "skipped": 0, "unreachable": 0}}}
//
// The callback does not record whether the run was a --check run; the
// convention read here is a `check_mode` entry in global_custom_stats, which
// a playbook writes with set_stats from `ansible_check_mode` when
// ANSIBLE_SHOW_CUSTOM_STATS is true (see docs/collectors/ansible.md). Pure functions over text.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "absl/status/statusor.h"
#include "absl/strings/string_view.h"
#include "absl/time/time.h"

namespace strata {

// The recap of one host, in the callback's own keys.
struct AnsibleHostStats {
  // ok, changed, failures, unreachable, skipped, rescued, ignored: those the
  // file has, in this order (Ansible before 2.8 lacks rescued and ignored).
  std::vector<std::pair<std::string, double>> counts;
  bool success = true;  // failures + unreachable == 0
};

struct AnsibleResults {
  std::optional<absl::Time> start;  // the first play's start
  std::optional<absl::Time> end;    // the last task result's time, if any task ran
  std::optional<bool> check_mode;   // global_custom_stats.check_mode, when recorded
  std::map<std::string, AnsibleHostStats> hosts;
};

// The last JSON document of the file: the one starting at the last line that
// begins with '{' (the callback's document, after ansible-pull's own lines, or
// the newest of several runs appended to one file). InvalidArgument naming
// the JSON path of what is missing or of the wrong type.
absl::StatusOr<AnsibleResults> ParseAnsibleResults(absl::string_view text);

// The names by which Ansible knows the local host, in the order of preference
// ansible-pull's own --limit uses: localhost, the host name, its first label,
// 127.0.0.1.
std::vector<std::string> AnsibleLocalHostNames(absl::string_view hostname);

}  // namespace strata
