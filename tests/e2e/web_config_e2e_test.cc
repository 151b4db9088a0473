// End-to-end tests of --web.config.file and --web.systemd-socket: the built
// binary on loopback, certificates made by openssl in each test, requests by
// libcurl (OpenSSL) and by raw sockets.
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "absl/strings/match.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/str_join.h"
#include "absl/strings/str_split.h"
#include "absl/time/clock.h"
#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "tests/support/exporter_process.h"
#include "tests/support/http_client.h"

namespace strata::testing {
namespace {

namespace fs = std::filesystem;
using ::testing::HasSubstr;
using ::testing::Not;

void WriteFile(const fs::path& path, const std::string& text) {
  std::ofstream out(path, std::ios::trunc);
  out << text;
}

// A throwaway PKI in a temporary directory, made with the openssl command.
class Pki {
 public:
  Pki() {
    char pattern[] = "/tmp/strata-web-XXXXXX";
    dir_ = mkdtemp(pattern);
    MakeCa("ca");
    MakeCa("other-ca");
    Issue("server", "ca", "subjectAltName=IP:127.0.0.1,DNS:localhost", "1");
    Issue("server2", "other-ca", "subjectAltName=IP:127.0.0.1,DNS:localhost", "1");
    Issue("client", "ca", "subjectAltName=DNS:scraper.example\nextendedKeyUsage=clientAuth", "1");
    Issue("stranger", "other-ca", "extendedKeyUsage=clientAuth", "1");
    // openssl x509 -days -1 makes a certificate that expired a day ago.
    Issue("expired-client", "ca", "extendedKeyUsage=clientAuth", "-1");
    Issue("expired-server", "ca", "subjectAltName=IP:127.0.0.1", "-1");
    Key("unrelated");
  }
  ~Pki() { fs::remove_all(dir_); }

  std::string operator()(const std::string& name) const { return (dir_ / name).string(); }
  const fs::path& dir() const { return dir_; }

 private:
  void Run(const std::vector<std::string>& argv) {
    CommandResult result = RunCommand(argv);
    ASSERT_EQ(result.exit_code, 0) << absl::StrJoin(argv, " ") << "\n" << result.output;
  }
  void Key(const std::string& name) {
    Run({"openssl", "genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out",
         (*this)(name + ".key")});
  }
  void MakeCa(const std::string& name) {
    Key(name);
    Run({"openssl", "req", "-x509", "-new", "-key", (*this)(name + ".key"), "-out",
         (*this)(name + ".crt"), "-days", "2", "-subj", "/CN=strata test " + name});
  }
  void Issue(const std::string& name, const std::string& ca, const std::string& extensions,
             const std::string& days) {
    Key(name);
    Run({"openssl", "req", "-new", "-key", (*this)(name + ".key"), "-out", (*this)(name + ".csr"),
         "-subj", "/CN=" + name});
    WriteFile(dir_ / (name + ".ext"), extensions + "\n");
    Run({"openssl", "x509", "-req", "-in", (*this)(name + ".csr"), "-CA", (*this)(ca + ".crt"),
         "-CAkey", (*this)(ca + ".key"), "-CAcreateserial", "-out", (*this)(name + ".crt"), "-days",
         days, "-extfile", (*this)(name + ".ext")});
  }

  fs::path dir_;
};

std::string HtpasswdHash(const std::string& password) {
  CommandResult result = RunCommand({"htpasswd", "-nbBC", "5", "", password});
  EXPECT_EQ(result.exit_code, 0) << result.output;
  std::string hash = result.output;
  hash.erase(0, hash.find('$'));
  while (!hash.empty() && (hash.back() == '\n' || hash.back() == ':')) hash.pop_back();
  return hash;
}

std::vector<std::string> Flags(const std::string& config) {
  std::vector<std::string> flags = {"--web.listen-address=127.0.0.1:0",
                                    "--collector.disable-defaults", "--web.config.file=" + config};
  for (const std::string& f : NoContainerEngineFlags()) flags.push_back(f);
  return flags;
}

std::string Url(const ExporterProcess& exporter, const std::string& scheme = "https") {
  return absl::StrCat(scheme, "://127.0.0.1:", exporter.port(), "/metrics");
}

// The error lines an exporter that refused to start wrote.
std::vector<std::string> ErrorLines(const std::string& log) {
  std::vector<std::string> lines;
  for (absl::string_view line : absl::StrSplit(log, '\n', absl::SkipEmpty())) {
    if (absl::StrContains(line, "level=error")) lines.emplace_back(line);
  }
  return lines;
}

// Waits until the log holds `count` lines containing `text`.
bool AwaitLog(ExporterProcess& exporter, const std::string& text, int count) {
  const absl::Time deadline = absl::Now() + absl::Seconds(10);
  while (absl::Now() < deadline) {
    const std::string& log = exporter.stderr_text();
    int seen = 0;
    for (size_t at = log.find(text); at != std::string::npos; at = log.find(text, at + 1)) ++seen;
    if (seen >= count) return true;
    absl::SleepFor(absl::Milliseconds(50));
  }
  return false;
}

class WebConfigE2eTest : public ::testing::Test {
 protected:
  std::string Config(const std::string& yaml) {
    const std::string path = pki_("web-config.yml");
    WriteFile(path, yaml);
    return path;
  }
  std::string TlsYaml(const std::string& extra = "") {
    return absl::StrCat("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n",
                        extra);
  }

  Pki pki_;
};

TEST_F(WebConfigE2eTest, BasicAuthAnswers401UntilTheRightPasswordAndSetsHeaders) {
  const std::string config = Config(absl::StrCat(
      "basic_auth_users:\n  prometheus: ", HtpasswdHash("s3cret"),
      "\nhttp_server_config:\n  headers:\n    X-Frame-Options: deny\n"
      "    X-Content-Type-Options: nosniff\n    Content-Security-Policy: default-src 'none'\n"));
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Flags(config))) << exporter.stderr_text();
  const std::string url = Url(exporter, "http");

  HttpResult none = HttpGet(url);
  ASSERT_TRUE(none.ok) << none.error;
  EXPECT_EQ(none.status, 401);
  EXPECT_EQ(none.headers["www-authenticate"], "Basic");
  EXPECT_EQ(none.headers["x-frame-options"], "deny");
  EXPECT_THAT(none.body, Not(HasSubstr("strata_")));

  HttpGetOptions wrong;
  wrong.user_password = "prometheus:guess";
  EXPECT_EQ(HttpGet(url, wrong).status, 401);
  wrong.user_password = "nobody:s3cret";
  EXPECT_EQ(HttpGet(url, wrong).status, 401);

  HttpGetOptions right;
  right.user_password = "prometheus:s3cret";
  HttpResult ok = HttpGet(url, right);
  EXPECT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, HasSubstr("strata_exporter_build_info"));
  EXPECT_EQ(ok.headers["x-frame-options"], "deny");
  EXPECT_EQ(ok.headers["x-content-type-options"], "nosniff");
  EXPECT_EQ(ok.headers["content-security-policy"], "default-src 'none'");
}

TEST_F(WebConfigE2eTest, TlsPortServesTlsOnlyAndNothingToPlainHttp) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Flags(Config(TlsYaml())))) << exporter.stderr_text();
  EXPECT_THAT(exporter.stderr_text(), HasSubstr("tls=on"));

  HttpGetOptions options;
  options.ca_file = pki_("ca.crt");
  HttpResult ok = HttpGet(Url(exporter), options);
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.status, 200);
  EXPECT_THAT(ok.body, HasSubstr("strata_exporter_build_info"));

  // The server's certificate is checked: a client trusting another CA gives up.
  options.ca_file = pki_("other-ca.crt");
  EXPECT_FALSE(HttpGet(Url(exporter), options).ok);

  // Plain HTTP on the TLS port gets no HTTP answer at all.
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_port = htons(static_cast<uint16_t>(exporter.port()));
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  timeval timeout{5, 0};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
  const std::string request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
  ASSERT_EQ(write(fd, request.data(), request.size()), static_cast<ssize_t>(request.size()));
  std::string reply;
  char buffer[4096];
  for (ssize_t n; (n = read(fd, buffer, sizeof(buffer))) > 0;) reply.append(buffer, n);
  close(fd);
  EXPECT_THAT(reply, Not(HasSubstr("HTTP/1")));
  EXPECT_THAT(reply, Not(HasSubstr("strata_")));
}

TEST_F(WebConfigE2eTest, RequireAndVerifyClientCertRefusesClientsWithoutAGoodCertificate) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Flags(Config(
      TlsYaml("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n")))))
      << exporter.stderr_text();
  HttpGetOptions options;
  options.ca_file = pki_("ca.crt");

  HttpResult anonymous = HttpGet(Url(exporter), options);
  EXPECT_FALSE(anonymous.ok && anonymous.status == 200) << anonymous.status;

  options.client_cert = pki_("stranger.crt");
  options.client_key = pki_("stranger.key");
  HttpResult stranger = HttpGet(Url(exporter), options);
  EXPECT_FALSE(stranger.ok && stranger.status == 200) << stranger.status;

  options.client_cert = pki_("expired-client.crt");
  options.client_key = pki_("expired-client.key");
  HttpResult expired = HttpGet(Url(exporter), options);
  EXPECT_FALSE(expired.ok && expired.status == 200) << expired.status;

  options.client_cert = pki_("client.crt");
  options.client_key = pki_("client.key");
  HttpResult ok = HttpGet(Url(exporter), options);
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.status, 200);
}

TEST_F(WebConfigE2eTest, ClientAllowedSansMatchesTheClientCertificate) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Flags(
      Config(TlsYaml("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
                     "  client_allowed_sans: [other.example]\n")))))
      << exporter.stderr_text();
  HttpGetOptions options;
  options.ca_file = pki_("ca.crt");
  options.client_cert = pki_("client.crt");
  options.client_key = pki_("client.key");
  HttpResult refused = HttpGet(Url(exporter), options);
  EXPECT_FALSE(refused.ok && refused.status == 200);

  WriteFile(pki_("web-config.yml"),
            TlsYaml("  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n"
                    "  client_allowed_sans: [other.example, scraper.example]\n"));
  exporter.Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(exporter, "web config loaded", 2)) << exporter.stderr_text();
  HttpResult ok = HttpGet(Url(exporter), options);
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.status, 200);
}

TEST_F(WebConfigE2eTest, ExpiredServerCertificateIsServedWithAWarningAndClientsRefuseIt) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Flags(Config(
      "tls_server_config:\n  cert_file: expired-server.crt\n  key_file: expired-server.key\n"))))
      << exporter.stderr_text();
  EXPECT_THAT(exporter.stderr_text(), HasSubstr("has expired"));
  HttpGetOptions options;
  options.ca_file = pki_("ca.crt");
  HttpResult result = HttpGet(Url(exporter), options);
  EXPECT_FALSE(result.ok);
  EXPECT_THAT(result.error, HasSubstr("certificate"));
}

struct StartupFailure {
  const char* name;
  const char* yaml;
  const char* message;
};

class WebConfigStartupTest : public WebConfigE2eTest,
                             public ::testing::WithParamInterface<StartupFailure> {};

TEST_P(WebConfigStartupTest, FailsWithOneClearLine) {
  ExporterProcess exporter;
  EXPECT_EQ(exporter.RunToExit(Flags(Config(GetParam().yaml))), 1);
  const std::string log = exporter.stderr_text();
  std::vector<std::string> errors = ErrorLines(log);
  ASSERT_EQ(errors.size(), 1u) << log;
  EXPECT_THAT(errors[0], HasSubstr(GetParam().message));
  EXPECT_THAT(log, Not(HasSubstr("msg=listening")));
}

INSTANTIATE_TEST_SUITE_P(
    Table, WebConfigStartupTest,
    ::testing::Values(
        StartupFailure{"KeyDoesNotMatch",
                       "tls_server_config:\n  cert_file: server.crt\n  key_file: unrelated.key\n",
                       "does not match the certificate"},
        StartupFailure{"MissingCertificate",
                       "tls_server_config:\n  cert_file: none.crt\n  key_file: server.key\n",
                       "none.crt: No such file"},
        StartupFailure{"UnknownKey", "tls_server_config:\n  certfile: server.crt\n",
                       "unknown key \\\"certfile\\\""},
        StartupFailure{"PlainPassword", "basic_auth_users:\n  alice: hunter2\n",
                       "not a bcrypt hash"},
        StartupFailure{"InexactCipherSuites",
                       "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"
                       "  max_version: TLS12\n  cipher_suites:\n"
                       "  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                       "  - TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384\n",
                       "GnuTLS cannot enable exactly this list"}),
    [](const auto& info) { return std::string(info.param.name); });

TEST_F(WebConfigE2eTest, ANodeExporterStyleCipherListWorks) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(
      Flags(Config(TlsYaml("  min_version: TLS12\n  max_version: TLS12\n  cipher_suites:\n"
                           "  - TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256\n"
                           "  - TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384\n"
                           "  curve_preferences: [CurveP256]\n")))))
      << exporter.stderr_text();
  HttpGetOptions options;
  options.ca_file = pki_("ca.crt");
  HttpResult ok = HttpGet(Url(exporter), options);
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.status, 200);
}

TEST_F(WebConfigE2eTest, SighupReloadsPasswordsAndABrokenReloadKeepsTheLastGood) {
  const std::string config =
      Config(absl::StrCat("basic_auth_users:\n  prometheus: ", HtpasswdHash("first"), "\n"));
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Flags(config))) << exporter.stderr_text();
  HttpGetOptions first, second;
  first.user_password = "prometheus:first";
  second.user_password = "prometheus:second";
  EXPECT_EQ(HttpGet(Url(exporter, "http"), first).status, 200);
  EXPECT_EQ(HttpGet(Url(exporter, "http"), second).status, 401);

  WriteFile(config,
            absl::StrCat("basic_auth_users:\n  prometheus: ", HtpasswdHash("second"), "\n"));
  exporter.Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(exporter, "web config loaded", 2)) << exporter.stderr_text();
  EXPECT_EQ(HttpGet(Url(exporter, "http"), first).status, 401);
  EXPECT_EQ(HttpGet(Url(exporter, "http"), second).status, 200);

  WriteFile(config, "basic_auth_users:\n  prometheus: not-a-hash\n");
  exporter.Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(exporter, "keeping the last good web config", 1)) << exporter.stderr_text();
  EXPECT_THAT(exporter.stderr_text(), HasSubstr("not a bcrypt hash"));
  EXPECT_EQ(HttpGet(Url(exporter, "http"), second).status, 200);

  // Switching TLS on needs a restart; the reload says so and keeps serving.
  WriteFile(config, TlsYaml());
  exporter.Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(exporter, "keeping the last good web config", 2)) << exporter.stderr_text();
  EXPECT_THAT(exporter.stderr_text(), HasSubstr("TLS cannot be switched on or off"));
  EXPECT_EQ(HttpGet(Url(exporter, "http"), second).status, 200);
}

TEST_F(WebConfigE2eTest, SighupReloadsTheCertificateForNewConnections) {
  ExporterProcess exporter;
  ASSERT_TRUE(exporter.Start(Flags(Config(TlsYaml())))) << exporter.stderr_text();
  HttpGetOptions old_ca, new_ca;
  old_ca.ca_file = pki_("ca.crt");
  new_ca.ca_file = pki_("other-ca.crt");
  EXPECT_EQ(HttpGet(Url(exporter), old_ca).status, 200);
  EXPECT_FALSE(HttpGet(Url(exporter), new_ca).ok);

  WriteFile(pki_("web-config.yml"),
            "tls_server_config:\n  cert_file: server2.crt\n  key_file: server2.key\n");
  exporter.Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(exporter, "web config loaded", 2)) << exporter.stderr_text();
  EXPECT_FALSE(HttpGet(Url(exporter), old_ca).ok);
  HttpResult ok = HttpGet(Url(exporter), new_ca);
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.status, 200);
}

TEST(SighupTest, WithoutAWebConfigIsLoggedAndHarmless) {
  ExporterProcess exporter;
  std::vector<std::string> flags = {"--web.listen-address=127.0.0.1:0",
                                    "--collector.disable-defaults"};
  ASSERT_TRUE(exporter.Start(flags)) << exporter.stderr_text();
  exporter.Signal(SIGHUP);
  ASSERT_TRUE(AwaitLog(exporter, "SIGHUP", 1)) << exporter.stderr_text();
  EXPECT_EQ(HttpGet(absl::StrCat("http://127.0.0.1:", exporter.port(), "/metrics")).status, 200);
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0);
}

TEST(SystemdSocketTest, ServesOnThePassedSocket) {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  ASSERT_EQ(bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)), 0);
  ASSERT_EQ(listen(fd, 16), 0);
  socklen_t len = sizeof(addr);
  getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  const int port = ntohs(addr.sin_port);

  ExporterProcess exporter;
  exporter.PassSocket(fd);
  // The listen address flag is ignored with --web.systemd-socket.
  ASSERT_TRUE(exporter.Start(
      {"--web.systemd-socket", "--web.listen-address=127.0.0.1:1", "--collector.disable-defaults"}))
      << exporter.stderr_text();
  close(fd);
  EXPECT_EQ(exporter.port(), port);
  EXPECT_THAT(exporter.stderr_text(), HasSubstr("systemd socket fd 3"));
  HttpResult ok = HttpGet(absl::StrCat("http://127.0.0.1:", port, "/metrics"));
  ASSERT_TRUE(ok.ok) << ok.error;
  EXPECT_EQ(ok.status, 200);
  exporter.Signal(SIGTERM);
  EXPECT_EQ(exporter.Wait(absl::Seconds(10)), 0);
}

TEST(SystemdSocketTest, WithoutPassedSocketsFailsWithOneLine) {
  unsetenv("LISTEN_FDS");
  unsetenv("LISTEN_PID");
  ExporterProcess exporter;
  EXPECT_EQ(exporter.RunToExit({"--web.systemd-socket", "--collector.disable-defaults"}), 1);
  std::vector<std::string> errors = ErrorLines(exporter.stderr_text());
  ASSERT_EQ(errors.size(), 1u) << exporter.stderr_text();
  EXPECT_THAT(errors[0], HasSubstr("LISTEN_PID and LISTEN_FDS are not set"));
}

}  // namespace
}  // namespace strata::testing
