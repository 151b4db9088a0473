// The Grafana dashboards (dashboards/*.json) and the rule file
// (alerts/strata.rules.yml) are tested artefacts: every dashboard has the
// variables, units and datasource an import with zero edits needs, every
// PromQL expression parses (promtool), and every metric an expression names is
// in the catalogue (docs/metrics.md) or is a recording rule, so a renamed metric breaks
// the build rather than a dashboard. Every dashboard also type-checks against
// Grafana's published schema (tests/grafana/check_dashboard_schema.mjs).
#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cctype>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <regex>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_replace.h"
#include "absl/strings/strip.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "rapidjson/document.h"
#include "rapidjson/error/en.h"
#include "rapidjson/stringbuffer.h"
#include "rapidjson/writer.h"
#include "tests/support/exporter_process.h"
#include "tests/support/grafana_checks.h"

namespace strata {
namespace {

namespace fs = std::filesystem;

const fs::path kSource = STRATA_SOURCE_DIR;
const fs::path kRuleFile = kSource / "alerts" / "strata.rules.yml";

// File name -> the uid other dashboards, links and bookmarks rely on.
const std::map<std::string, std::string>& ExpectedUids() {
  static const auto* uids = new std::map<std::string, std::string>{
      {"fleet.json", "strata-fleet"},
      {"host.json", "strata-host"},
      {"cgroups.json", "strata-cgroups"},
      {"hypervisor.json", "strata-hypervisor"},
      {"convergence.json", "strata-convergence"},
      {"density.json", "strata-density"},
  };
  return *uids;
}

std::string ReadFile(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

std::vector<fs::path> DashboardFiles() {
  std::vector<fs::path> files;
  for (const auto& entry : fs::directory_iterator(kSource / "dashboards")) {
    if (entry.path().extension() == ".json") files.push_back(entry.path());
  }
  std::sort(files.begin(), files.end());
  return files;
}

// Metric names of the catalogue between the markers of docs/metrics.md.
std::set<std::string> CatalogueNames() {
  const std::string catalogue = ReadFile(kSource / "docs" / "metrics.md");
  const size_t from = catalogue.find("<!-- catalogue:begin -->");
  const size_t to = catalogue.find("<!-- catalogue:end -->");
  std::set<std::string> names;
  if (from == std::string::npos || to == std::string::npos) return names;
  std::istringstream lines(catalogue.substr(from, to - from));
  const std::regex row("^\\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \\|");
  std::smatch match;
  for (std::string line; std::getline(lines, line);) {
    if (std::regex_search(line, match, row)) names.insert(match[1]);
  }
  return names;
}

struct Rule {
  std::string name;  // record or alert name
  std::string expr;
};

// Every rule of alerts/strata.rules.yml; empty while the file does not exist.
std::vector<Rule> Rules() {
  std::vector<Rule> rules;
  if (!fs::exists(kRuleFile)) return rules;
  const YAML::Node root = YAML::LoadFile(kRuleFile.string());
  for (const YAML::Node& group : root["groups"]) {
    for (const YAML::Node& rule : group["rules"]) {
      Rule r;
      r.name = rule["record"] ? rule["record"].as<std::string>() : rule["alert"].as<std::string>();
      r.expr = rule["expr"].as<std::string>();
      rules.push_back(r);
    }
  }
  return rules;
}

std::set<std::string> KnownMetrics() {
  std::set<std::string> known = CatalogueNames();
  known.insert("up");  // Prometheus' own series for every target
  if (fs::exists(kRuleFile)) {
    const YAML::Node root = YAML::LoadFile(kRuleFile.string());
    for (const YAML::Node& group : root["groups"]) {
      for (const YAML::Node& rule : group["rules"]) {
        if (rule["record"]) known.insert(rule["record"].as<std::string>());
      }
    }
  }
  return known;
}

// PromQL's functions, aggregations and keywords (Prometheus 2.42): every other
// identifier outside label matchers, strings and grouping lists is a metric.
bool IsPromqlWord(const std::string& word) {
  static const auto* words = new std::set<std::string>{
      // aggregations
      "sum", "min", "max", "avg", "group", "stddev", "stdvar", "count", "count_values", "bottomk",
      "topk", "quantile",
      // functions
      "abs", "absent", "absent_over_time", "ceil", "changes", "clamp", "clamp_max", "clamp_min",
      "day_of_month", "day_of_week", "day_of_year", "days_in_month", "delta", "deriv", "exp",
      "floor", "histogram_count", "histogram_sum", "histogram_fraction", "histogram_quantile",
      "holt_winters", "hour", "idelta", "increase", "irate", "label_join", "label_replace", "ln",
      "log2", "log10", "minute", "month", "predict_linear", "rate", "resets", "round", "scalar",
      "sgn", "sort", "sort_desc", "sqrt", "time", "timestamp", "vector", "year", "avg_over_time",
      "min_over_time", "max_over_time", "sum_over_time", "count_over_time", "quantile_over_time",
      "stddev_over_time", "stdvar_over_time", "last_over_time", "present_over_time", "acos",
      "acosh", "asin", "asinh", "atan", "atanh", "cos", "cosh", "sin", "sinh", "tan", "tanh", "deg",
      "rad", "pi",
      // keywords and binary operators spelt as words
      "by", "without", "on", "ignoring", "group_left", "group_right", "and", "or", "unless", "bool",
      "offset", "atan2", "start", "end", "inf", "nan"};
  std::string lower = word;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return words->count(lower) > 0;
}

// A metric an expression names, with the label matchers that follow it.
struct Selector {
  std::string metric;
  std::string matchers;  // between the braces; "" without braces
  bool has_braces = false;
};

size_t SkipString(const std::string& s, size_t i) {
  const char quote = s[i];
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\' && quote != '`') {
      ++i;
    } else if (s[i] == quote) {
      return i + 1;
    }
  }
  return i;
}

// A small PromQL lexer: skips strings, label matchers, ranges, numbers and
// grouping label lists, and returns the identifiers that are neither functions
// nor keywords: the metric names.
std::vector<Selector> Selectors(const std::string& expr) {
  std::vector<Selector> selectors;
  auto is_start = [](char c) {
    return std::isalpha(static_cast<unsigned char>(c)) || c == '_' || c == ':';
  };
  auto is_part = [&](char c) { return is_start(c) || std::isdigit(static_cast<unsigned char>(c)); };
  size_t i = 0;
  while (i < expr.size()) {
    const char c = expr[i];
    if (c == '"' || c == '\'' || c == '`') {
      i = SkipString(expr, i);
    } else if (c == '{' || c == '[') {
      const char close = c == '{' ? '}' : ']';
      while (i < expr.size() && expr[i] != close) {
        i = (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`') ? SkipString(expr, i) : i + 1;
      }
      ++i;
    } else if (std::isdigit(static_cast<unsigned char>(c)) || c == '.') {
      while (i < expr.size() && (is_part(expr[i]) || expr[i] == '.')) ++i;  // 1e3, 5m, 0x1f
    } else if (is_start(c)) {
      const size_t begin = i;
      while (i < expr.size() && is_part(expr[i])) ++i;
      const std::string word = expr.substr(begin, i - begin);
      size_t next = i;
      while (next < expr.size() && std::isspace(static_cast<unsigned char>(expr[next]))) ++next;
      static const std::set<std::string> grouping = {"by",       "without",    "on",
                                                     "ignoring", "group_left", "group_right"};
      if (grouping.count(word) && next < expr.size() && expr[next] == '(') {
        i = expr.find(')', next);  // a label list: no nesting, no strings
        i = i == std::string::npos ? expr.size() : i + 1;
        continue;
      }
      if (IsPromqlWord(word)) continue;
      Selector selector{word, "", false};
      if (next < expr.size() && expr[next] == '{') {
        selector.has_braces = true;
        size_t j = next + 1;
        while (j < expr.size() && expr[j] != '}') {
          j = (expr[j] == '"' || expr[j] == '\'') ? SkipString(expr, j) : j + 1;
        }
        selector.matchers = expr.substr(next + 1, j - next - 1);
      }
      selectors.push_back(selector);
    } else {
      ++i;
    }
  }
  return selectors;
}

// The argument of every rate(), irate() and increase() call.
std::vector<std::string> RateArguments(const std::string& expr) {
  std::vector<std::string> arguments;
  const std::regex call("\\b(rate|irate|increase)\\s*\\(");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), call); it != std::sregex_iterator();
       ++it) {
    const size_t open = it->position() + it->length() - 1;
    int depth = 0;
    size_t i = open;
    for (; i < expr.size(); ++i) {
      if (expr[i] == '"' || expr[i] == '\'' || expr[i] == '`') {
        i = SkipString(expr, i) - 1;
      } else if (expr[i] == '(') {
        ++depth;
      } else if (expr[i] == ')' && --depth == 0) {
        break;
      }
    }
    arguments.push_back(expr.substr(open + 1, i - open - 1));
  }
  return arguments;
}

// An expression as Prometheus sees it once Grafana has filled in its variables.
std::string Expand(const std::string& expr) {
  std::string out = absl::StrReplaceAll(expr, {{"$__rate_interval", "5m"}});
  static const std::regex variable(
      "\\$\\{[a-zA-Z_][a-zA-Z0-9_]*(:[a-z]+)?\\}|\\$[a-zA-Z_][a-zA-Z0-9_]*");
  return std::regex_replace(out, variable, ".+");
}

struct Target {
  std::string where;  // file, panel and refId, for messages
  std::string expr;
};

struct Dashboard {
  fs::path path;
  rapidjson::Document doc;
};

std::vector<Dashboard> LoadDashboards() {
  std::vector<Dashboard> dashboards;
  for (const fs::path& path : DashboardFiles()) {
    Dashboard d;
    d.path = path;
    d.doc.Parse(ReadFile(path).c_str());
    dashboards.push_back(std::move(d));
  }
  return dashboards;
}

// Every panel, the ones nested in (collapsed) rows included.
void CollectPanels(const rapidjson::Value& panels, std::vector<const rapidjson::Value*>* out) {
  if (!panels.IsArray()) return;
  for (const rapidjson::Value& panel : panels.GetArray()) {
    out->push_back(&panel);
    if (panel.HasMember("panels")) CollectPanels(panel["panels"], out);
  }
}

std::vector<const rapidjson::Value*> Panels(const rapidjson::Document& doc) {
  std::vector<const rapidjson::Value*> panels;
  if (doc.IsObject() && doc.HasMember("panels")) CollectPanels(doc["panels"], &panels);
  return panels;
}

std::string StringMember(const rapidjson::Value& v, const char* name) {
  if (!v.IsObject() || !v.HasMember(name) || !v[name].IsString()) return "";
  return v[name].GetString();
}

bool IsRow(const rapidjson::Value& panel) { return StringMember(panel, "type") == "row"; }

std::vector<Target> Targets(const Dashboard& d) {
  std::vector<Target> targets;
  for (const rapidjson::Value* panel : Panels(d.doc)) {
    if (IsRow(*panel) || !panel->HasMember("targets") || !(*panel)["targets"].IsArray()) continue;
    for (const rapidjson::Value& target : (*panel)["targets"].GetArray()) {
      targets.push_back(
          {absl::StrCat(d.path.filename().string(), " \"", StringMember(*panel, "title"), "\" ",
                        StringMember(target, "refId")),
           StringMember(target, "expr")});
    }
  }
  return targets;
}

std::string DatasourceUid(const rapidjson::Value& v) {
  if (!v.IsObject() || !v.HasMember("datasource")) return "";
  const rapidjson::Value& ds = v["datasource"];
  if (ds.IsString()) return ds.GetString();
  return StringMember(ds, "uid");
}

TEST(Dashboards, EveryExpectedDashboardExistsAsValidJsonWithItsUid) {
  std::set<std::string> seen;
  for (const fs::path& path : DashboardFiles()) {
    const std::string name = path.filename().string();
    SCOPED_TRACE(name);
    rapidjson::Document doc;
    doc.Parse(ReadFile(path).c_str());
    ASSERT_FALSE(doc.HasParseError())
        << rapidjson::GetParseError_En(doc.GetParseError()) << " at " << doc.GetErrorOffset();
    ASSERT_TRUE(doc.IsObject());
    ASSERT_EQ(ExpectedUids().count(name), 1u) << "a new dashboard needs its uid in this test";
    EXPECT_EQ(StringMember(doc, "uid"), ExpectedUids().at(name));
    EXPECT_FALSE(StringMember(doc, "title").empty());
    ASSERT_TRUE(doc.HasMember("schemaVersion") && doc["schemaVersion"].IsInt());
    EXPECT_GE(doc["schemaVersion"].GetInt(), 37);
    EXPECT_TRUE(doc.HasMember("id") && doc["id"].IsNull()) << "ids are Grafana's to assign";
    seen.insert(name);
  }
  for (const auto& [name, uid] : ExpectedUids()) EXPECT_EQ(seen.count(name), 1u) << name;
}

TEST(Dashboards, HaveDatasourceClusterJobAndInstanceVariables) {
  for (const Dashboard& d : LoadDashboards()) {
    SCOPED_TRACE(d.path.filename().string());
    ASSERT_TRUE(d.doc.IsObject() && d.doc.HasMember("templating"));
    std::map<std::string, const rapidjson::Value*> variables;
    for (const rapidjson::Value& v : d.doc["templating"]["list"].GetArray()) {
      variables[StringMember(v, "name")] = &v;
    }
    ASSERT_EQ(variables.count("datasource"), 1u);
    EXPECT_EQ(StringMember(*variables["datasource"], "type"), "datasource");
    EXPECT_EQ(StringMember(*variables["datasource"], "query"), "prometheus");
    // mixin/config.libsonnet's defaults: strataSelector, and clusterLabel "cluster".
    const std::map<std::string, std::string> queries = {
        {"cluster", "label_values(strata_exporter_build_info{job=~\".*strata.*\"}, cluster)"},
        {"job",
         "label_values(strata_exporter_build_info{cluster=~\"$cluster\",job=~\".*strata.*\"}, "
         "job)"},
        {"instance",
         "label_values(strata_exporter_build_info{cluster=~\"$cluster\",job=~\"$job\"}, "
         "instance)"}};
    for (const auto& [name, query] : queries) {
      ASSERT_EQ(variables.count(name), 1u) << name;
      const rapidjson::Value& v = *variables[name];
      EXPECT_EQ(StringMember(v, "type"), "query") << name;
      EXPECT_EQ(DatasourceUid(v), "${datasource}") << name;
      const std::string text =
          v["query"].IsString() ? v["query"].GetString() : StringMember(v["query"], "query");
      EXPECT_EQ(text, query) << name;
    }
    // One cluster by default: the variable is hidden, and "All" matches
    // series without the label too.
    const rapidjson::Value& cluster = *variables["cluster"];
    EXPECT_EQ(StringMember(cluster, "allValue"), ".*");
    EXPECT_TRUE(cluster["includeAll"].GetBool());
    EXPECT_EQ(cluster["hide"].GetInt(), 2);
  }
}

TEST(Dashboards, EveryPanelHasAUnitAndQueriesTheDatasourceVariable) {
  for (const Dashboard& d : LoadDashboards()) {
    SCOPED_TRACE(d.path.filename().string());
    std::set<int> ids;
    int queried = 0;
    for (const rapidjson::Value* panel : Panels(d.doc)) {
      const std::string title = StringMember(*panel, "title");
      ASSERT_TRUE(panel->HasMember("id") && (*panel)["id"].IsInt()) << title;
      EXPECT_TRUE(ids.insert((*panel)["id"].GetInt()).second) << "duplicate id: " << title;
      if (IsRow(*panel)) continue;
      EXPECT_EQ(DatasourceUid(*panel), "${datasource}") << title;
      const rapidjson::Value* defaults = nullptr;
      if (panel->HasMember("fieldConfig") && (*panel)["fieldConfig"].HasMember("defaults")) {
        defaults = &(*panel)["fieldConfig"]["defaults"];
      }
      ASSERT_NE(defaults, nullptr) << title;
      EXPECT_FALSE(StringMember(*defaults, "unit").empty()) << "no unit: " << title;
      ASSERT_TRUE(panel->HasMember("targets") && (*panel)["targets"].IsArray()) << title;
      EXPECT_GT((*panel)["targets"].Size(), 0u) << title;
      for (const rapidjson::Value& target : (*panel)["targets"].GetArray()) {
        EXPECT_EQ(DatasourceUid(target), "${datasource}") << title;
        EXPECT_FALSE(StringMember(target, "expr").empty()) << title;
        EXPECT_FALSE(StringMember(target, "refId").empty()) << title;
        ++queried;
      }
    }
    EXPECT_GT(queried, 0);
  }
}

TEST(Dashboards, RatesUseRateInterval) {
  for (const Dashboard& d : LoadDashboards()) {
    for (const Target& t : Targets(d)) {
      for (const std::string& argument : RateArguments(t.expr)) {
        EXPECT_TRUE(
            absl::EndsWith(absl::StripTrailingAsciiWhitespace(argument), "[$__rate_interval]"))
            << t.where << ": " << t.expr;
      }
    }
  }
}

TEST(Dashboards, EverySelectorFiltersByClusterJobAndInstance) {
  for (const Dashboard& d : LoadDashboards()) {
    for (const Target& t : Targets(d)) {
      const std::vector<Selector> selectors = Selectors(t.expr);
      EXPECT_FALSE(selectors.empty()) << t.where << ": " << t.expr;
      for (const Selector& s : selectors) {
        EXPECT_TRUE(s.has_braces) << t.where << ": " << s.metric;
        EXPECT_THAT(s.matchers, ::testing::HasSubstr("cluster=~\"$cluster\""))
            << t.where << ": " << s.metric;
        EXPECT_THAT(s.matchers, ::testing::HasSubstr("job=~\"$job\""))
            << t.where << ": " << s.metric;
        EXPECT_THAT(s.matchers, ::testing::HasSubstr("instance=~\"$instance\""))
            << t.where << ": " << s.metric;
      }
    }
  }
}

// The label lists of an expression's `by (...)` and `on (...)` (`without` and
// `ignoring` keep every label they do not name, the cluster among them).
std::vector<std::string> GroupingLists(const std::string& expr) {
  std::vector<std::string> lists;
  const std::regex grouping("\\b(by|on)\\s*\\(([^)]*)\\)");
  for (auto it = std::sregex_iterator(expr.begin(), expr.end(), grouping);
       it != std::sregex_iterator(); ++it) {
    lists.push_back((*it)[2]);
  }
  return lists;
}

// Two clusters' hosts may share an instance name: every join and every
// aggregation that keeps a host (its list names instance) keeps the cluster.
TEST(Dashboards, JoinsAndHostAggregationsCarryTheClusterLabel) {
  std::vector<Target> expressions;
  for (const Dashboard& d : LoadDashboards()) {
    for (const Target& t : Targets(d)) expressions.push_back(t);
  }
  for (const Rule& rule : Rules()) expressions.push_back({rule.name, rule.expr});
  int checked = 0;
  for (const Target& t : expressions) {
    for (const std::string& list : GroupingLists(t.expr)) {
      if (!std::regex_search(list, std::regex("\\binstance\\b"))) continue;
      EXPECT_TRUE(std::regex_search(list, std::regex("\\bcluster\\b")))
          << t.where << ": (" << list << ") in " << t.expr;
      ++checked;
    }
  }
  EXPECT_GT(checked, 10);
}

TEST(Dashboards, EveryMetricIsInTheCatalogueOrARecordingRule) {
  const std::set<std::string> known = KnownMetrics();
  ASSERT_GT(known.size(), 50u) << "docs/metrics.md catalogue not found";
  for (const Dashboard& d : LoadDashboards()) {
    for (const Target& t : Targets(d)) {
      for (const Selector& s : Selectors(t.expr)) {
        EXPECT_EQ(known.count(s.metric), 1u) << t.where << " names unknown metric " << s.metric;
      }
    }
  }
}

TEST(Dashboards, RuleFileNamesOnlyKnownMetrics) {
  if (!fs::exists(kRuleFile)) GTEST_SKIP() << kRuleFile << " does not exist";
  const std::set<std::string> known = KnownMetrics();
  const std::vector<Rule> rules = Rules();
  EXPECT_FALSE(rules.empty());
  for (const Rule& rule : rules) {
    const std::vector<Selector> selectors = Selectors(rule.expr);
    EXPECT_FALSE(selectors.empty()) << rule.name << " names no metric";
    for (const Selector& s : selectors) {
      EXPECT_EQ(known.count(s.metric), 1u) << rule.name << " names unknown metric " << s.metric;
    }
  }
}

TEST(Dashboards, EveryExpressionParses) {
  // promtool has no "check this expression": each one becomes a recording
  // rule of a throwaway rule file, with Grafana's variables filled in.
  rapidjson::StringBuffer buffer;
  rapidjson::Writer<rapidjson::StringBuffer> writer(buffer);
  writer.StartObject();
  writer.Key("groups");
  writer.StartArray();
  writer.StartObject();
  writer.Key("name");
  writer.String("dashboards");
  writer.Key("rules");
  writer.StartArray();
  int n = 0;
  std::vector<std::string> index;  // rule n -> the panel it comes from
  for (const Dashboard& d : LoadDashboards()) {
    for (const Target& t : Targets(d)) {
      index.push_back(absl::StrCat("dashboard:expr_", n, ":check = ", t.where));
      writer.StartObject();
      writer.Key("record");
      writer.String(absl::StrCat("dashboard:expr_", n++, ":check").c_str());
      writer.Key("expr");
      writer.String(Expand(t.expr).c_str());
      writer.EndObject();
    }
  }
  writer.EndArray();
  writer.EndObject();
  writer.EndArray();
  writer.EndObject();
  ASSERT_GT(n, 0);

  const fs::path file = fs::path(::testing::TempDir()) / "strata_dashboards_exprs.rules.yml";
  {
    std::ofstream out(file);
    out << buffer.GetString() << "\n";  // JSON is YAML
  }
  const testing::CommandResult result =
      testing::RunCommand({STRATA_PROMTOOL, "check", "rules", file.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output << absl::StrJoin(index, "\n");
  EXPECT_THAT(result.output, ::testing::HasSubstr(absl::StrCat("SUCCESS: ", n, " rules found")));
  fs::remove(file);
}

TEST(Dashboards, FleetCountsOnlyStampedImageVersions) {
  // The Fleet overview's "Distinct image versions", evaluated by promtool on
  // two hosts of one version, one of another and one without an image stamp
  // (empty image_id and image_version), which is not a version of its own.
  std::string expr;
  for (const Dashboard& d : LoadDashboards()) {
    for (const Target& t : Targets(d)) {
      if (absl::StrContains(t.where, "fleet.json \"Distinct image versions\"")) expr = t.expr;
    }
  }
  ASSERT_FALSE(expr.empty()) << "no \"Distinct image versions\" panel in fleet.json";
  const fs::path dir = fs::path(::testing::TempDir()) / "strata_fleet_image_versions";
  fs::create_directories(dir);
  std::ofstream(dir / "none.rules.yml") << "groups: []\n";
  std::string series;
  for (const auto& [instance, id, version] :
       std::vector<std::tuple<std::string, std::string, std::string>>{{"h1", "web", "2024.01"},
                                                                      {"h2", "web", "2024.02"},
                                                                      {"h3", "web", "2024.02"},
                                                                      {"h4", "", ""}}) {
    absl::StrAppend(&series, "      - series: 'strata_image_info{cluster=\"c1\",job=\"strata\",",
                    "instance=\"", instance, ":10299\",image_id=\"", id, "\",image_version=\"",
                    version, "\"}'\n        values: '1x5'\n");
  }
  std::ofstream(dir / "fleet_test.yml")
      << "rule_files: [none.rules.yml]\nevaluation_interval: 1m\ntests:\n"
      << "  - interval: 1m\n    input_series:\n"
      << series << "    promql_expr_test:\n      - expr: '"
      << absl::StrReplaceAll(Expand(expr), {{"'", "''"}}) << "'\n        eval_time: 5m\n"
      << "        exp_samples:\n          - labels: '{}'\n            value: 2\n";
  const testing::CommandResult result =
      testing::RunCommand({STRATA_PROMTOOL, "test", "rules", (dir / "fleet_test.yml").string()});
  EXPECT_EQ(result.exit_code, 0) << Expand(expr) << "\n" << result.output;
  fs::remove_all(dir);
}

TEST(Dashboards, LexerFindsMetricsButNotLabelsFunctionsOrStrings) {
  std::vector<std::string> names;
  for (const Selector& s :
       Selectors("topk(10, sum by (job, cgroup) (rate(a_total{job=~\"$job\",x=\"b_c{\"}[5m])) / on "
                 "(job) group_left (role) b:c:ratio) or label_replace(up, \"d\", \"$1\", \"e\", "
                 "\"(.*)\") > bool 1e3 offset 5m or vector(0)")) {
    names.push_back(s.metric);
  }
  EXPECT_THAT(names, ::testing::ElementsAre("a_total", "b:c:ratio", "up"));
  EXPECT_THAT(RateArguments("rate(x[5m]) + increase(y{a=\")\"}[$__rate_interval])"),
              ::testing::ElementsAre("x[5m]", "y{a=\")\"}[$__rate_interval]"));
  EXPECT_EQ(Expand("rate(x{job=~\"$job\",i=~\"${instance}\"}[$__rate_interval])"),
            "rate(x{job=~\".+\",i=~\".+\"}[5m])");
}

TEST(Dashboards, ProvisioningFilesDescribeTheDashboardsAndPrometheus) {
  const YAML::Node dashboards =
      YAML::LoadFile((kSource / "dashboards" / "provisioning" / "dashboards.yml").string());
  EXPECT_EQ(dashboards["apiVersion"].as<int>(), 1);
  ASSERT_GT(dashboards["providers"].size(), 0u);
  EXPECT_EQ(dashboards["providers"][0]["type"].as<std::string>(), "file");
  EXPECT_FALSE(dashboards["providers"][0]["options"]["path"].as<std::string>().empty());

  const YAML::Node datasources =
      YAML::LoadFile((kSource / "dashboards" / "provisioning" / "datasources.yml").string());
  EXPECT_EQ(datasources["apiVersion"].as<int>(), 1);
  ASSERT_GT(datasources["datasources"].size(), 0u);
  EXPECT_EQ(datasources["datasources"][0]["type"].as<std::string>(), "prometheus");
  EXPECT_EQ(datasources["datasources"][0]["url"].as<std::string>(), "http://localhost:9090");
}

TEST(Dashboards, DeployPrometheusConfigIsValid) {
  const fs::path config = kSource / "deploy" / "prometheus.yml";
  const YAML::Node root = YAML::LoadFile(config.string());
  ASSERT_EQ(root["rule_files"].size(), 1u);
  EXPECT_EQ(root["rule_files"][0].as<std::string>(), "../alerts/strata.rules.yml");
  EXPECT_EQ(root["scrape_configs"][0]["job_name"].as<std::string>(), "strata");
  if (!fs::exists(kRuleFile)) GTEST_SKIP() << "promtool would miss " << kRuleFile;
  const testing::CommandResult result =
      testing::RunCommand({STRATA_PROMTOOL, "check", "config", config.string()});
  EXPECT_EQ(result.exit_code, 0) << result.output;
}

testing::CommandResult CheckSchema(const std::vector<std::string>& files) {
  return testing::RunGrafanaCheck("check_dashboard_schema.mjs", files);
}

class DashboardSchema : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_EQ(testing::GrafanaChecksMissing(), ""); }
};

TEST_F(DashboardSchema, EveryDashboardMatchesGrafanasPublishedSchema) {
  std::vector<std::string> files;
  for (const fs::path& path : DashboardFiles()) files.push_back(path.string());
  ASSERT_FALSE(files.empty());
  const testing::CommandResult result = CheckSchema(files);
  EXPECT_EQ(result.exit_code, 0) << result.output;
  EXPECT_THAT(result.output,
              ::testing::HasSubstr(absl::StrCat(files.size(),
                                                " dashboard(s) checked against @grafana/schema, "
                                                "0 problem(s)")));
}

// The check is not vacuous: what Grafana would drop or misread is reported,
// with the panel it is in.
TEST_F(DashboardSchema, ReportsWhatGrafanaWouldNotRead) {
  std::string text = ReadFile(kSource / "dashboards" / "host.json");
  // A number of the schema written as a string, an option value outside its
  // enumeration, a misspelt panel key and a misspelt field option.
  const std::vector<std::pair<std::string, std::string>> mistakes = {
      {R"("graphTooltip": 1)", R"("graphTooltip": "shared")"},
      {R"("displayMode": "table")", R"("displayMode": "tabel")"},
      {R"("fieldConfig": {)", R"("fieldconfig": {)"},
  };
  for (const auto& [from, to] : mistakes) {
    const size_t at = text.find(from);
    ASSERT_NE(at, std::string::npos) << from;
    text.replace(at, from.size(), to);
  }
  char dir_template[] = "/tmp/strata-dashboard-schema-XXXXXX";
  const fs::path dir = mkdtemp(dir_template);
  const fs::path broken = dir / "broken.json";
  std::ofstream(broken) << text;
  const testing::CommandResult result = CheckSchema({broken.string()});
  fs::remove_all(dir);
  EXPECT_EQ(result.exit_code, 1) << result.output;
  EXPECT_THAT(result.output, ::testing::HasSubstr(R"(at: "graphTooltip": "shared")"));
  EXPECT_THAT(result.output, ::testing::HasSubstr(R"(Did you mean '"table"'?)"));
  EXPECT_THAT(result.output, ::testing::HasSubstr(R"('"fieldconfig"' does not exist)"));
  EXPECT_THAT(result.output, ::testing::HasSubstr("3 problem(s)"));
}

}  // namespace
}  // namespace strata
