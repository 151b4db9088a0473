// End-to-end tests of the puppet collector against the real puppet (Debian
// 12's puppet 7.23): each case runs `puppet apply` or `puppet agent
// --disable` with every directory Puppet writes in a private temporary
// directory, lays the files Puppet wrote out at Debian's default paths below a
// rootfs (or names them with the collector's flags), scrapes the exporter and
// checks every value against the YAML Puppet wrote, read back with yaml-cpp.
// Nothing of the host's Puppet (/etc/puppet, /var/cache/puppet,
// /var/lib/puppet, /run/puppet) is touched, and no daemon is started.
#include <signal.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/exposition.h"
#include "tests/support/http_client.h"
#include "yaml-cpp/yaml.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;

std::string ReadPath(const fs::path& path) {
  std::ifstream in(path);
  std::stringstream buffer;
  buffer << in.rdbuf();
  return buffer.str();
}

// A private Puppet: confdir, vardir, codedir, publicdir, ssldir, logdir and
// rundir in one temporary directory, removed with everything in it.
class PuppetSandbox {
 public:
  PuppetSandbox() {
    char pattern[] = "/tmp/strata-puppet-e2e.XXXXXX";
    if (mkdtemp(pattern) != nullptr) root_ = pattern;
    for (const char* dir : {"conf", "code", "managed"}) fs::create_directories(root_ / dir);
  }
  ~PuppetSandbox() {
    std::error_code ignored;
    if (!root_.empty()) fs::remove_all(root_, ignored);
  }
  PuppetSandbox(const PuppetSandbox&) = delete;
  PuppetSandbox& operator=(const PuppetSandbox&) = delete;

  const fs::path& root() const { return root_; }
  fs::path summary() const { return root_ / "public/last_run_summary.yaml"; }
  fs::path report() const { return root_ / "var/state/last_run_report.yaml"; }
  fs::path lock() const { return root_ / "var/state/agent_disabled.lock"; }
  fs::path managed_file() const { return root_ / "managed/motd"; }

  std::vector<std::string> Flags() const {
    std::vector<std::string> flags;
    for (const auto& [flag, dir] : {std::pair{"confdir", "conf"},
                                    {"vardir", "var"},
                                    {"codedir", "code"},
                                    {"publicdir", "public"},
                                    {"ssldir", "ssl"},
                                    {"logdir", "log"},
                                    {"rundir", "run"}}) {
      flags.push_back(absl::StrCat("--", flag, "=", (root_ / dir).string()));
    }
    return flags;
  }

  // Flags(), with a certname that does not depend on the machine's name.
  std::vector<std::string> AgentFlags() const {
    std::vector<std::string> flags = Flags();
    flags.push_back(std::string("--certname=") + kCertname);
    return flags;
  }
  static constexpr const char* kCertname = "strata-e2e-agent";

  // A manifest that keeps one file with known content.
  std::string FileManifest() const {
    return absl::StrCat("file { '", managed_file().string(),
                        "': ensure => file, content => \"managed by puppet\\n\" }\n");
  }

  CommandResult Apply(const std::string& manifest, const std::vector<std::string>& extra = {}) {
    const fs::path file = root_ / absl::StrCat("manifest", ++manifests_, ".pp");
    std::ofstream(file) << manifest;
    std::vector<std::string> argv = {"puppet", "apply"};
    for (const std::string& flag : Flags()) argv.push_back(flag);
    argv.insert(argv.end(), extra.begin(), extra.end());
    argv.push_back(file.string());
    return RunCommand(argv);
  }

  CommandResult Agent(const std::vector<std::string>& args) {
    std::vector<std::string> argv = {"puppet", "agent"};
    for (const std::string& flag : AgentFlags()) argv.push_back(flag);
    argv.insert(argv.end(), args.begin(), args.end());
    return RunCommand(argv);
  }

  // An agent that has been run against a server before: a certificate from
  // a CA (made with openssl, as no Puppet server runs here) and the catalog
  // the server compiled, cached where the agent keeps it. Returns the
  // catalog's version, or an empty string (with a test failure) if a step
  // failed.
  std::string PrepareAgent(const std::string& manifest) {
    const fs::path manifests = root_ / "code/environments/production/manifests";
    fs::create_directories(manifests);
    std::ofstream(manifests / "site.pp") << manifest;
    std::vector<std::string> compile = {"puppet",     "catalog",  "find",        kCertname,
                                        "--terminus", "compiler", "--render-as", "json"};
    for (const std::string& flag : AgentFlags()) compile.push_back(flag);
    CommandResult catalog = RunCommand(compile);
    EXPECT_EQ(catalog.exit_code, 0) << catalog.output;
    // The output holds Puppet's notices and Facter's complaints too; the
    // catalog is the one line of JSON.
    std::string json;
    for (absl::string_view line : absl::StrSplit(catalog.output, '\n')) {
      if (absl::StartsWith(line, "{\"tags\"")) json = std::string(line);
    }
    EXPECT_FALSE(json.empty()) << catalog.output;
    const YAML::Node parsed = YAML::Load(json);  // JSON is YAML
    EXPECT_EQ(parsed["name"].as<std::string>(), kCertname);
    fs::create_directories(root_ / "var/client_data/catalog");
    std::ofstream(root_ / "var/client_data/catalog" / (std::string(kCertname) + ".json")) << json;

    const fs::path ssl = root_ / "ssl";
    fs::create_directories(ssl / "certs");
    fs::create_directories(ssl / "private_keys");
    const std::string key = (ssl / "private_keys" / (std::string(kCertname) + ".pem")).string();
    const std::string cert = (ssl / "certs" / (std::string(kCertname) + ".pem")).string();
    const std::string ca_key = (root_ / "ca.key").string();
    const std::string ca_cert = (ssl / "certs/ca.pem").string();
    const std::string csr = (root_ / "agent.csr").string();
    for (const std::vector<std::string>& argv : std::vector<std::vector<std::string>>{
             {"openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", ca_key, "-out",
              ca_cert, "-days", "2", "-subj", "/CN=Strata e2e CA", "-addext",
              "basicConstraints=critical,CA:TRUE", "-addext",
              "keyUsage=critical,keyCertSign,cRLSign"},
             {"openssl", "req", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", csr,
              "-subj", std::string("/CN=") + kCertname},
             {"openssl", "x509", "-req", "-in", csr, "-CA", ca_cert, "-CAkey", ca_key,
              "-CAcreateserial", "-out", cert, "-days", "2"}}) {
      CommandResult made = RunCommand(argv);
      EXPECT_EQ(made.exit_code, 0) << made.output;
    }
    return parsed["version"].as<std::string>();
  }

  // One agent run against a server that does not answer (port 1 on loopback:
  // connection refused), without a CRL (no CA server to fetch it from).
  CommandResult AgentRun(const std::vector<std::string>& extra = {}) {
    std::vector<std::string> args = {
        "--onetime",          "--no-daemonize", "--detailed-exitcodes",
        "--server=127.0.0.1", "--serverport=1", "--certificate_revocation=false"};
    args.insert(args.end(), extra.begin(), extra.end());
    return Agent(args);
  }

  // Copies what Puppet wrote to Debian's default paths below root()/rootfs,
  // keeping the lock's mtime; returns that rootfs.
  fs::path LayOut() const {
    const fs::path rootfs = root_ / "rootfs";
    fs::remove_all(rootfs);
    const fs::path cache = rootfs / "var/cache/puppet";
    fs::create_directories(cache / "public");
    fs::create_directories(cache / "state");
    for (const auto& [from, to] : {std::pair{summary(), cache / "public/last_run_summary.yaml"},
                                   {report(), cache / "state/last_run_report.yaml"},
                                   {lock(), cache / "state/agent_disabled.lock"}}) {
      if (!fs::exists(from)) continue;
      fs::copy_file(from, to);
      fs::last_write_time(to, fs::last_write_time(from));
    }
    return rootfs;
  }

 private:
  fs::path root_;
  int manifests_ = 0;
};

// Runs the exporter with only the puppet collector, scrapes it once and
// checks the scrape with promtool.
std::string Scrape(const std::vector<std::string>& flags) {
  ExporterProcess exporter;
  std::vector<std::string> args = {"--web.listen-address=127.0.0.1:0",
                                   "--collector.disable-defaults", "--collector.puppet"};
  args.insert(args.end(), flags.begin(), flags.end());
  EXPECT_TRUE(exporter.Start(args)) << exporter.stderr_text();
  HttpResult scrape = HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics"));
  EXPECT_TRUE(scrape.ok) << scrape.error;
  CommandResult lint = RunCommand({STRATA_PROMTOOL, "check", "metrics"}, scrape.body);
  EXPECT_EQ(lint.exit_code, 0) << lint.output;
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0);
  return scrape.body;
}

std::string ScrapeRootfs(const fs::path& rootfs) {
  return Scrape({"--path.rootfs=" + rootfs.string()});
}

std::optional<double> Sample(const std::string& body, const std::string& name,
                             const std::string& labels = "") {
  return SampleValue(body, labels.empty() ? name : absl::StrCat(name, "{", labels, "}"));
}

std::string Puppet(const std::string& more = "") {
  return more.empty() ? "tool=\"puppet\"" : absl::StrCat("tool=\"puppet\",", more);
}

// Relative: the exposition prints 16 significant digits, YAML up to 17.
void ExpectValue(const std::optional<double>& scraped, double expected, const std::string& what) {
  ASSERT_TRUE(scraped.has_value()) << what << " is missing";
  EXPECT_NEAR(*scraped, expected, std::abs(expected) * 1e-12 + 1e-12) << what;
}

// Every value of the summary and the report against the scrape.
void ExpectScrapeMatches(const std::string& body, const fs::path& summary_path,
                         const fs::path& report_path) {
  SCOPED_TRACE(body);
  const YAML::Node summary = YAML::LoadFile(summary_path.string());
  ASSERT_TRUE(summary.IsMap());
  for (const auto& entry : summary["resources"]) {
    const std::string state = entry.first.as<std::string>();
    ExpectValue(
        Sample(body, "strata_convergence_resources", Puppet(absl::StrCat("state=\"", state, "\""))),
        entry.second.as<double>(), "resources." + state);
  }
  for (const auto& entry : summary["events"]) {
    const std::string status = entry.first.as<std::string>();
    ExpectValue(Sample(body, "strata_puppet_events", absl::StrCat("status=\"", status, "\"")),
                entry.second.as<double>(), "events." + status);
  }
  for (const auto& entry : summary["time"]) {
    const std::string key = entry.first.as<std::string>();
    const double value = entry.second.as<double>();
    if (key == "last_run") {
      ExpectValue(Sample(body, "strata_convergence_last_run_timestamp_seconds", Puppet()), value,
                  "time.last_run");
    } else if (key == "total") {
      ExpectValue(Sample(body, "strata_convergence_last_run_duration_seconds", Puppet()), value,
                  "time.total");
    } else {
      std::optional<double> phase =
          Sample(body, "strata_puppet_phase_duration_seconds", absl::StrCat("phase=\"", key, "\""));
      std::optional<double> type =
          Sample(body, "strata_puppet_resource_time_seconds", absl::StrCat("type=\"", key, "\""));
      EXPECT_NE(phase.has_value(), type.has_value()) << "time." << key;
      ExpectValue(phase.has_value() ? phase : type, value, "time." + key);
    }
  }
  ExpectValue(Sample(body, "strata_puppet_changes"), summary["changes"]["total"].as<double>(),
              "changes.total");
  ExpectValue(Sample(body, "strata_convergence_config_version_info",
                     Puppet(absl::StrCat("version=\"",
                                         summary["version"]["config"].as<std::string>(), "\""))),
              1, "version.config");
  ExpectValue(Sample(body, "strata_convergence_tool_version_info",
                     Puppet(absl::StrCat("version=\"",
                                         summary["version"]["puppet"].as<std::string>(), "\""))),
              1, "version.puppet");
  ExpectValue(
      Sample(body, "strata_puppet_environment_info",
             absl::StrCat("environment=\"",
                          summary["application"]["converged_environment"].as<std::string>(), "\"")),
      1, "application.converged_environment");

  // yaml-cpp reads the report whole, Ruby tag and all.
  const YAML::Node report = YAML::LoadFile(report_path.string());
  ASSERT_EQ(report.Tag(), "!ruby/object:Puppet::Transaction::Report");
  const std::string status = report["status"].as<std::string>();
  for (const char* name : {"changed", "unchanged", "failed"}) {
    ExpectValue(
        Sample(body, "strata_puppet_last_run_status", absl::StrCat("status=\"", name, "\"")),
        status == name ? 1 : 0, absl::StrCat("status ", name));
  }
  ExpectValue(Sample(body, "strata_convergence_last_run_success", Puppet()),
              status == "failed" ? 0 : 1, "success");
  ExpectValue(Sample(body, "strata_convergence_noop", Puppet()), report["noop"].as<bool>() ? 1 : 0,
              "noop");
  ExpectValue(Sample(body, "strata_puppet_noop_pending"), report["noop_pending"].as<bool>() ? 1 : 0,
              "noop_pending");
  ExpectValue(Sample(body, "strata_puppet_transaction_completed"),
              report["transaction_completed"].as<bool>() ? 1 : 0, "transaction_completed");
  // Puppet writes cached_catalog_status on the report's last line.
  ASSERT_TRUE(report["cached_catalog_status"]) << "Puppet 7 writes it on every run";
  const std::string cached = report["cached_catalog_status"].as<std::string>();
  for (const char* name : {"not_used", "explicitly_requested", "on_failure"}) {
    ExpectValue(
        Sample(body, "strata_puppet_cached_catalog_status", absl::StrCat("status=\"", name, "\"")),
        cached == name ? 1 : 0, absl::StrCat("cached_catalog_status ", name));
  }
  EXPECT_THAT(body, HasSubstr("strata_scrape_collector_success{collector=\"puppet\"} 1"));
}

double Resource(const std::string& body, const std::string& state) {
  return Sample(body, "strata_convergence_resources", Puppet("state=\"" + state + "\""))
      .value_or(-1);
}

class PuppetE2eTest : public ::testing::Test {
 protected:
  void SetUp() override {
    CommandResult version = RunCommand({"puppet", "--version"});
    ASSERT_EQ(version.exit_code, 0)
        << "these tests run Debian's puppet package (scripts/install-deps): " << version.output;
    ASSERT_FALSE(sandbox_.root().empty());
  }

  // Applies a manifest that must succeed in compiling.
  void Apply(const std::string& manifest, const std::vector<std::string>& extra = {}) {
    CommandResult run = sandbox_.Apply(manifest, extra);
    ASSERT_EQ(run.exit_code, 0) << run.output;
    ASSERT_TRUE(fs::exists(sandbox_.summary())) << run.output;
    ASSERT_TRUE(fs::exists(sandbox_.report())) << run.output;
  }

  PuppetSandbox sandbox_;
};

// Every directory Puppet writes is inside the sandbox.
TEST_F(PuppetE2eTest, TheSandboxIsPrivate) {
  std::vector<std::string> argv = {"puppet", "config", "print"};
  for (const std::string& flag : sandbox_.Flags()) argv.push_back(flag);
  const std::vector<std::string> settings = {"confdir",
                                             "vardir",
                                             "codedir",
                                             "publicdir",
                                             "ssldir",
                                             "logdir",
                                             "rundir",
                                             "statedir",
                                             "lastrunfile",
                                             "lastrunreport",
                                             "reportdir",
                                             "clientbucketdir",
                                             "libdir",
                                             "client_datadir",
                                             "clientyamldir",
                                             "pluginfactdest",
                                             "agent_disabled_lockfile",
                                             "agent_catalog_run_lockfile"};
  argv.insert(argv.end(), settings.begin(), settings.end());
  CommandResult print = RunCommand(argv);
  ASSERT_EQ(print.exit_code, 0) << print.output;
  int seen = 0;
  for (absl::string_view line : absl::StrSplit(print.output, '\n', absl::SkipEmpty())) {
    std::vector<std::string> parts = absl::StrSplit(line, absl::MaxSplits(" = ", 1));
    if (parts.size() != 2) continue;  // Facter's complaints
    ++seen;
    EXPECT_TRUE(absl::StartsWith(parts[1], sandbox_.root().string())) << line;
  }
  EXPECT_EQ(seen, static_cast<int>(settings.size())) << print.output;
}

TEST_F(PuppetE2eTest, AConvergedRun) {
  Apply(sandbox_.FileManifest());  // creates the file: changed
  std::string body = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(body, sandbox_.summary(), sandbox_.report());
  EXPECT_EQ(Resource(body, "changed"), 1);
  // puppet apply compiles its own catalog.
  EXPECT_EQ(Sample(body, "strata_puppet_cached_catalog_status", "status=\"not_used\""), 1);
  EXPECT_EQ(Sample(body, "strata_puppet_transaction_completed"), 1);

  Apply(sandbox_.FileManifest());  // nothing left to do
  body = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(body, sandbox_.summary(), sandbox_.report());
  EXPECT_EQ(Sample(body, "strata_puppet_last_run_status", "status=\"unchanged\""), 1);
  EXPECT_EQ(Resource(body, "changed"), 0);
  EXPECT_EQ(Resource(body, "out_of_sync"), 0);
  EXPECT_GT(Resource(body, "total"), 0);
  EXPECT_EQ(Sample(body, "strata_convergence_last_run_success", Puppet()), 1);
  EXPECT_EQ(Sample(body, "strata_convergence_noop", Puppet()), 0);
  EXPECT_EQ(Sample(body, "strata_convergence_agent_disabled", Puppet()), 0);
}

TEST_F(PuppetE2eTest, ANoopRunFindsDrift) {
  Apply(sandbox_.FileManifest());
  std::ofstream(sandbox_.managed_file()) << "edited by hand\n";
  Apply(sandbox_.FileManifest(), {"--noop"});
  EXPECT_EQ(ReadPath(sandbox_.managed_file()), "edited by hand\n");  // noop changed nothing

  const std::string body = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(body, sandbox_.summary(), sandbox_.report());
  EXPECT_GT(Resource(body, "out_of_sync"), 0);
  EXPECT_EQ(Resource(body, "changed"), 0);
  EXPECT_EQ(Sample(body, "strata_convergence_noop", Puppet()), 1);
  EXPECT_EQ(Sample(body, "strata_puppet_noop_pending"), 1);
  EXPECT_GT(Sample(body, "strata_puppet_events", "status=\"noop\"").value_or(0), 0);
  EXPECT_EQ(Sample(body, "strata_convergence_last_run_success", Puppet()), 1);
}

// A resource marked noop => true in a run without --noop: Puppet leaves it
// drifted, the run is not a noop run, and only noop_pending (which
// ConfigDriftDetected reads since) tells.
TEST_F(PuppetE2eTest, ANoopResourceLeavesDriftInARealRun) {
  std::ofstream(sandbox_.managed_file()) << "edited by hand\n";
  Apply(absl::StrCat("file { '", sandbox_.managed_file().string(),
                     "': ensure => file, content => \"managed by puppet\\n\", noop => true }\n"));
  EXPECT_EQ(ReadPath(sandbox_.managed_file()), "edited by hand\n");

  const std::string body = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(body, sandbox_.summary(), sandbox_.report());
  EXPECT_EQ(Sample(body, "strata_convergence_noop", Puppet()), 0);
  EXPECT_EQ(Sample(body, "strata_puppet_noop_pending"), 1);
  EXPECT_EQ(Resource(body, "out_of_sync"), 1);
  EXPECT_EQ(Resource(body, "changed"), 0);
}

TEST_F(PuppetE2eTest, AFailingResourceFailsTheRun) {
  Apply(sandbox_.FileManifest() +
        "exec { 'always-fails': command => '/bin/false' }\n"
        "file { '" +
        (sandbox_.root() / "managed/after").string() +
        "': ensure => file, content => \"x\\n\", require => Exec['always-fails'] }\n");
  const std::string body = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(body, sandbox_.summary(), sandbox_.report());
  EXPECT_GT(Resource(body, "failed"), 0);
  EXPECT_GT(Resource(body, "skipped"), 0);
  EXPECT_EQ(Sample(body, "strata_convergence_last_run_success", Puppet()), 0);
  EXPECT_EQ(Sample(body, "strata_puppet_last_run_status", "status=\"failed\""), 1);
  EXPECT_GT(Sample(body, "strata_puppet_events", "status=\"failure\"").value_or(0), 0);
}

// A manifest that does not compile leaves the summary and the report as the
// last good run wrote them: the host looks converged, and only the age of
// the last-run timestamp tells.
TEST_F(PuppetE2eTest, ACompileErrorLeavesTheLastRunAsItWas) {
  Apply(sandbox_.FileManifest());
  const std::string summary = ReadPath(sandbox_.summary());
  const std::string report = ReadPath(sandbox_.report());
  const std::string before = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(before, sandbox_.summary(), sandbox_.report());

  absl::SleepFor(absl::Milliseconds(1100));  // a rewrite would carry a later last_run
  const double attempted = absl::ToDoubleSeconds(absl::Now() - absl::UnixEpoch());
  CommandResult broken = sandbox_.Apply("file { '/nowhere': ensure => \n");
  EXPECT_NE(broken.exit_code, 0) << broken.output;
  EXPECT_THAT(broken.output, HasSubstr("Could not parse"));
  EXPECT_EQ(ReadPath(sandbox_.summary()), summary);
  EXPECT_EQ(ReadPath(sandbox_.report()), report);

  const std::string after = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(after, sandbox_.summary(), sandbox_.report());
  const auto stamp = Sample(after, "strata_convergence_last_run_timestamp_seconds", Puppet());
  ASSERT_TRUE(stamp.has_value());
  EXPECT_EQ(stamp, Sample(before, "strata_convergence_last_run_timestamp_seconds", Puppet()));
  EXPECT_LT(*stamp, attempted);
  EXPECT_EQ(Sample(after, "strata_convergence_last_run_success", Puppet()), 1);
}

// The defect, with the real agent: it cannot reach its server (or the server
// cannot compile its catalog), so it applies the catalog it cached last time
// and says the run changed things and succeeded. Only the report's last line,
// cached_catalog_status: on_failure, tells that the host is not converging
// to the current code.
TEST_F(PuppetE2eTest, AnAgentThatCannotGetANewCatalogAppliesItsCachedOne) {
  const std::string version = sandbox_.PrepareAgent(sandbox_.FileManifest());
  ASSERT_FALSE(version.empty());
  CommandResult run = sandbox_.AgentRun();  // usecacheonfailure is on by default
  // --detailed-exitcodes: 2 is "changes, no failures".
  EXPECT_EQ(run.exit_code, 2) << run.output;
  EXPECT_EQ(ReadPath(sandbox_.managed_file()), "managed by puppet\n");
  ASSERT_TRUE(fs::exists(sandbox_.report())) << run.output;
  const std::string report = ReadPath(sandbox_.report());
  ASSERT_EQ(report.substr(report.rfind('\n', report.size() - 2) + 1),
            "cached_catalog_status: on_failure\n");

  const std::string body = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(body, sandbox_.summary(), sandbox_.report());
  EXPECT_EQ(Sample(body, "strata_puppet_cached_catalog_status", "status=\"on_failure\""), 1);
  EXPECT_EQ(Sample(body, "strata_puppet_cached_catalog_status", "status=\"not_used\""), 0);
  // What made it look converged: Puppet's own verdict.
  EXPECT_EQ(Sample(body, "strata_convergence_last_run_success", Puppet()), 1);
  EXPECT_EQ(Sample(body, "strata_puppet_last_run_status", "status=\"changed\""), 1);
  EXPECT_EQ(Sample(body, "strata_puppet_transaction_completed"), 1);
  EXPECT_EQ(Sample(body, "strata_convergence_config_version_info",
                   Puppet(absl::StrCat("version=\"", version, "\""))),
            1);
}

// --use_cached_catalog: the agent applies its cached catalog on purpose.
TEST_F(PuppetE2eTest, AnAgentAskedToUseItsCachedCatalog) {
  ASSERT_FALSE(sandbox_.PrepareAgent(sandbox_.FileManifest()).empty());
  CommandResult run = sandbox_.AgentRun({"--use_cached_catalog"});
  EXPECT_EQ(run.exit_code, 2) << run.output;
  const std::string body = ScrapeRootfs(sandbox_.LayOut());
  ExpectScrapeMatches(body, sandbox_.summary(), sandbox_.report());
  EXPECT_EQ(Sample(body, "strata_puppet_cached_catalog_status", "status=\"explicitly_requested\""),
            1);
  EXPECT_EQ(Sample(body, "strata_puppet_cached_catalog_status", "status=\"on_failure\""), 0);
}

// puppet agent --disable, read through the collector's flags from where the
// private Puppet keeps its files.
TEST_F(PuppetE2eTest, ADisabledAgent) {
  Apply(sandbox_.FileManifest());
  CommandResult disable = sandbox_.Agent({"--disable", "maintenance: kernel \"6.1\" upgrade"});
  ASSERT_EQ(disable.exit_code, 0) << disable.output;
  ASSERT_TRUE(fs::exists(sandbox_.lock())) << disable.output;
  const std::vector<std::string> flags = {
      "--path.rootfs=/", "--collector.puppet.summary-file=" + sandbox_.summary().string(),
      "--collector.puppet.report-file=" + sandbox_.report().string(),
      "--collector.puppet.disabled-lock-file=" + sandbox_.lock().string()};

  std::string body = Scrape(flags);
  ExpectScrapeMatches(body, sandbox_.summary(), sandbox_.report());
  EXPECT_EQ(Sample(body, "strata_convergence_agent_disabled", Puppet()), 1);
  const std::string message = YAML::LoadFile(sandbox_.lock().string())["disabled_message"]
                                  .as<std::string>();  // JSON is YAML
  EXPECT_EQ(message, "maintenance: kernel \"6.1\" upgrade");
  EXPECT_EQ(Sample(body, "strata_puppet_disabled_info",
                   "message=\"maintenance: kernel \\\"6.1\\\" upgrade\""),
            1);
  struct stat st;
  ASSERT_EQ(stat(sandbox_.lock().c_str(), &st), 0);
  const double mtime = st.st_mtim.tv_sec + st.st_mtim.tv_nsec / 1e9;
  ExpectValue(Sample(body, "strata_puppet_disabled_since_timestamp_seconds"), mtime, "lock mtime");

  // The same, laid out at Debian's default path.
  body = ScrapeRootfs(sandbox_.LayOut());
  EXPECT_EQ(Sample(body, "strata_convergence_agent_disabled", Puppet()), 1);
  ExpectValue(Sample(body, "strata_puppet_disabled_since_timestamp_seconds"), mtime,
              "lock mtime at the default path");

  CommandResult enable = sandbox_.Agent({"--enable"});
  ASSERT_EQ(enable.exit_code, 0) << enable.output;
  ASSERT_FALSE(fs::exists(sandbox_.lock()));
  body = Scrape(flags);
  EXPECT_EQ(Sample(body, "strata_convergence_agent_disabled", Puppet()), 0);
  EXPECT_THAT(body, ::testing::Not(HasSubstr("strata_puppet_disabled_since_timestamp_seconds ")));
  EXPECT_THAT(body, ::testing::Not(HasSubstr("strata_puppet_disabled_info{")));
  EXPECT_THAT(body, HasSubstr("strata_scrape_collector_success{collector=\"puppet\"} 1"));
}

}  // namespace
}  // namespace strata::testing
