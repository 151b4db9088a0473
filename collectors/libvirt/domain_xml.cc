#include "collectors/libvirt/domain_xml.h"

#include <libxml/parser.h>
#include <libxml/tree.h>
#include <libxml/xpath.h>

#include <memory>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/numbers.h"
#include "absl/strings/str_cat.h"

namespace strata {
namespace {

struct DocDeleter {
  void operator()(xmlDoc* doc) const { xmlFreeDoc(doc); }
};
struct ContextDeleter {
  void operator()(xmlXPathContext* context) const { xmlXPathFreeContext(context); }
};
struct ObjectDeleter {
  void operator()(xmlXPathObject* object) const { xmlXPathFreeObject(object); }
};

// XPath over one document; namespaces are matched by local-name(), so Nova's
// 1.0 and 1.1 metadata namespaces read the same.
class Xml {
 public:
  explicit Xml(xmlDoc* doc) : doc_(doc), context_(xmlXPathNewContext(doc)) {}

  std::vector<std::string> Strings(const char* xpath) const {
    std::vector<std::string> values;
    std::unique_ptr<xmlXPathObject, ObjectDeleter> result(
        xmlXPathEvalExpression(reinterpret_cast<const xmlChar*>(xpath), context_.get()));
    if (result == nullptr) return values;
    if (result->type == XPATH_STRING) {
      values.emplace_back(reinterpret_cast<const char*>(result->stringval));
      return values;
    }
    if (result->nodesetval == nullptr) return values;
    for (int i = 0; i < result->nodesetval->nodeNr; ++i) {
      xmlChar* content = xmlNodeGetContent(result->nodesetval->nodeTab[i]);
      values.emplace_back(content != nullptr ? reinterpret_cast<const char*>(content) : "");
      xmlFree(content);
    }
    return values;
  }

  std::string String(const char* xpath) const {
    std::vector<std::string> values = Strings(xpath);
    return values.empty() ? "" : std::string(absl::StripAsciiWhitespace(values.front()));
  }

 private:
  std::unique_ptr<xmlDoc, DocDeleter> doc_;
  std::unique_ptr<xmlXPathContext, ContextDeleter> context_;
};

}  // namespace

std::optional<double> MemoryToBytes(double amount, absl::string_view unit) {
  const std::string u = absl::AsciiStrToLower(unit);
  if (u.empty() || u == "kib" || u == "k") return amount * 1024;
  if (u == "b" || u == "bytes") return amount;
  if (u == "kb") return amount * 1e3;
  if (u == "mib" || u == "m") return amount * 1024 * 1024;
  if (u == "mb") return amount * 1e6;
  if (u == "gib" || u == "g") return amount * 1024 * 1024 * 1024;
  if (u == "gb") return amount * 1e9;
  if (u == "tib" || u == "t") return amount * 1024.0 * 1024 * 1024 * 1024;
  if (u == "tb") return amount * 1e12;
  return std::nullopt;
}

absl::StatusOr<DomainDefinition> ParseDomainXml(absl::string_view xml) {
  xmlDoc* doc = xmlReadMemory(xml.data(), static_cast<int>(xml.size()), "domain.xml", nullptr,
                              XML_PARSE_NONET | XML_PARSE_NOERROR | XML_PARSE_NOWARNING);
  if (doc == nullptr) return absl::InvalidArgumentError("domain XML does not parse");
  Xml dom(doc);
  if (dom.String("name(/*)") != "domain") {
    return absl::InvalidArgumentError("domain XML has no <domain> root");
  }
  DomainDefinition def;
  def.os_type = dom.String("/domain/os/type");
  std::string vcpus = dom.String("/domain/vcpu/@current");
  if (vcpus.empty()) vcpus = dom.String("/domain/vcpu");
  if (!vcpus.empty() && !absl::SimpleAtod(vcpus, &def.vcpus)) {
    return absl::InvalidArgumentError(absl::StrCat("bad <vcpu> \"", vcpus, "\""));
  }
  const std::string memory = dom.String("/domain/memory");
  if (!memory.empty()) {
    double amount = 0;
    std::optional<double> bytes;
    if (absl::SimpleAtod(memory, &amount))
      bytes = MemoryToBytes(amount, dom.String("/domain/memory/@unit"));
    if (!bytes.has_value())
      return absl::InvalidArgumentError(absl::StrCat("bad <memory> \"", memory, "\""));
    def.memory_bytes = *bytes;
  }
  def.disk_targets = dom.Strings("/domain/devices/disk/target/@dev");
  for (size_t i = 1; i <= def.disk_targets.size(); ++i) {
    const std::string disk = absl::StrCat("/domain/devices/disk[", i, "]/source");
    def.disk_sources.push_back(dom.String(absl::StrCat("concat(", disk, "/@file, ", disk, "/@dev, ",
                                                       disk, "/@name, ", disk, "/@volume)")
                                              .c_str()));
  }
  def.interface_targets = dom.Strings("/domain/devices/interface/target/@dev");
  const std::string period = dom.String("/domain/devices/memballoon/stats/@period");
  // A period that is not a plain non-negative number counts as none.
  if (!absl::SimpleAtod(period, &def.balloon_stats_period_seconds) ||
      !(def.balloon_stats_period_seconds >= 0) || def.balloon_stats_period_seconds > 86400 * 365) {
    def.balloon_stats_period_seconds = 0;
  }

  const char* kNova =
      "/domain/metadata/*[local-name()='instance' and starts-with(namespace-uri(), "
      "'http://openstack.org/xmlns/libvirt/nova/')]";
  if (!dom.Strings(kNova).empty()) {
    NovaMetadata nova;
    nova.instance_name = dom.String(
        "/domain/metadata/*[local-name()='instance' and starts-with(namespace-uri(), "
        "'http://openstack.org/xmlns/libvirt/nova/')]/*[local-name()='name']");
    nova.flavor = dom.String(
        "/domain/metadata/*[local-name()='instance' and starts-with(namespace-uri(), "
        "'http://openstack.org/xmlns/libvirt/nova/')]/*[local-name()='flavor']/@name");
    nova.project_name = dom.String(
        "/domain/metadata/*[local-name()='instance' and starts-with(namespace-uri(), "
        "'http://openstack.org/xmlns/libvirt/nova/')]/*[local-name()='owner']/"
        "*[local-name()='project']");
    nova.project_uuid = dom.String(
        "/domain/metadata/*[local-name()='instance' and starts-with(namespace-uri(), "
        "'http://openstack.org/xmlns/libvirt/nova/')]/*[local-name()='owner']/"
        "*[local-name()='project']/@uuid");
    nova.user_name = dom.String(
        "/domain/metadata/*[local-name()='instance' and starts-with(namespace-uri(), "
        "'http://openstack.org/xmlns/libvirt/nova/')]/*[local-name()='owner']/"
        "*[local-name()='user']");
    def.nova = nova;
  }
  return def;
}

}  // namespace strata
