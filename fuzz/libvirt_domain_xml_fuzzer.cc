// A libvirt domain's XML definition (domain_xml.h), parsed with libxml2.
#include <libxml/parser.h>

#include <cmath>

#include "collectors/libvirt/domain_xml.h"
#include "fuzz/fuzz_support.h"

namespace strata::fuzz {

void FuzzOne(absl::string_view input) {
  static const bool initialised = [] {
    xmlInitParser();
    return true;
  }();
  (void)initialised;
  absl::StatusOr<DomainDefinition> domain = ParseDomainXml(input);
  if (!domain.ok()) return;
  // One source per disk target, "" for a disk without one.
  STRATA_FUZZ_CHECK(domain->disk_sources.size() == domain->disk_targets.size());
  // libxml2 hands out UTF-8 whatever the document's declared encoding.
  STRATA_FUZZ_CHECK_UTF8(domain->os_type);
  for (const auto& target : domain->disk_targets) STRATA_FUZZ_CHECK_UTF8(target);
  for (const auto& target : domain->interface_targets) STRATA_FUZZ_CHECK_UTF8(target);
  if (domain->nova.has_value()) {
    STRATA_FUZZ_CHECK_UTF8(domain->nova->instance_name);
    STRATA_FUZZ_CHECK_UTF8(domain->nova->flavor);
    STRATA_FUZZ_CHECK_UTF8(domain->nova->project_name);
    STRATA_FUZZ_CHECK_UTF8(domain->nova->user_name);
  }
}

}  // namespace strata::fuzz
