#!/usr/bin/env bash
# Dependencies run one way: exporter/ -> collectors/ -> base/. Fails, naming
# each offending #include, when
#   - base/ includes anything from collectors/ or exporter/,
#   - collectors/ includes anything from exporter/,
#   - a collector's folder includes another collector's folder (only its own,
#     collectors/common/ and the contract headers directly in collectors/).
set -euo pipefail
cd "${1:?usage: check_layering.sh SOURCE_DIR}"

status=0
offend() {
  echo "layering: $1" >&2
  status=1
}

while IFS= read -r hit; do
  offend "$hit (base/ depends on nothing above it)"
done < <(grep -Hn -E '^#include "(collectors|exporter)/' base/*.h base/*.cc || true)

while IFS= read -r hit; do
  offend "$hit (collectors/ must not depend on exporter/)"
done < <(grep -rHn -E '^#include "exporter/' collectors || true)

for dir in collectors/*/; do
  name=$(basename "$dir")
  [[ "$name" == common ]] && allowed="common" || allowed="$name|common"
  while IFS= read -r hit; do
    offend "$hit (collectors/$name/ may include only collectors/$name/, collectors/common/ and collectors/*.h)"
  done < <(grep -rHn -E '^#include "collectors/[a-z_]+/' "$dir" |
           grep -v -E "#include \"collectors/($allowed)/" || true)
done

if ((status == 0)); then
  echo "layering: exporter/ -> collectors/ -> base/ holds; no collector includes another"
fi
exit $status
