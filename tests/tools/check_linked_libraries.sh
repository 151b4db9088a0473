#!/usr/bin/env bash
# Checks which shared libraries a binary loads against the build options:
#   check_linked_libraries.sh BINARY LIBRARY=ON|OFF ...
# e.g. libvirt.so=OFF fails if the binary still needs libvirt, so a build
# without a collector really does without its dependency.
set -euo pipefail
binary=${1:?usage: check_linked_libraries.sh BINARY LIBRARY=ON|OFF ...}
shift
needed=$(ldd "$binary")
status=0
for pair in "$@"; do
  library=${pair%=*}
  wanted=${pair#*=}
  if grep -q -F "$library" <<<"$needed"; then has=ON; else has=OFF; fi
  if [[ "$has" != "$wanted" ]]; then
    echo "linked libraries: $binary: $library is $has, the build options say $wanted" >&2
    status=1
  else
    echo "linked libraries: $library $has, as the build options say"
  fi
done
exit $status
