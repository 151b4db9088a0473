// The libcurl client of the Docker-compatible engine API (built with
// STRATA_WITH_DOCKER_API): the only part of the cgroup collector that needs
// libcurl.
#include <curl/curl.h>

#include <algorithm>
#include <climits>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "absl/status/status.h"
#include "absl/strings/ascii.h"
#include "absl/strings/str_cat.h"
#include "absl/strings/string_view.h"
#include "collectors/cgroup/docker_api.h"

namespace strata {
namespace {

// Far above any real answer (a few KiB per container), so a broken or
// hostile peer cannot make the exporter buffer without bound.
constexpr size_t kMaxBodyBytes = 64 << 20;

// How much of an error answer's body goes into the status message.
constexpr size_t kMaxErrorBodyBytes = 200;

size_t AppendBody(char* data, size_t size, size_t count, void* body_ptr) {
  std::string* body = static_cast<std::string*>(body_ptr);
  const size_t bytes = size * count;
  if (body->size() + bytes > kMaxBodyBytes) return 0;  // curl then fails with a write error
  body->append(data, bytes);
  return bytes;
}

class DockerApiClient : public EngineApi {
 public:
  explicit DockerApiClient(std::string socket_path) : socket_path_(std::move(socket_path)) {}

  absl::StatusOr<std::string> Get(absl::string_view path, absl::Duration timeout) const override {
    CURL* curl = curl_easy_init();
    if (curl == nullptr) return Unavailable(path, "curl_easy_init failed");
    std::string body;
    char error[CURL_ERROR_SIZE] = "";
    // curl reads 0 as "no limit"; a zero or negative timeout means "at once".
    const long timeout_ms =
        static_cast<long>(std::clamp<int64_t>(absl::ToInt64Milliseconds(timeout), 1, LONG_MAX));
    const std::string url = absl::StrCat("http://localhost", path);
    curl_easy_setopt(curl, CURLOPT_UNIX_SOCKET_PATH, socket_path_.c_str());
    curl_easy_setopt(curl, CURLOPT_URL, url.c_str());
    curl_easy_setopt(curl, CURLOPT_TIMEOUT_MS, timeout_ms);
    // Without it curl uses SIGALRM for timeouts, which is unsafe in a
    // multi-threaded server.
    curl_easy_setopt(curl, CURLOPT_NOSIGNAL, 1L);
    // The engine is local: never send the request to a proxy from the environment.
    curl_easy_setopt(curl, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(curl, CURLOPT_ERRORBUFFER, error);
    curl_easy_setopt(curl, CURLOPT_WRITEFUNCTION, &AppendBody);
    curl_easy_setopt(curl, CURLOPT_WRITEDATA, &body);
    const CURLcode code = curl_easy_perform(curl);
    long http_status = 0;
    curl_easy_getinfo(curl, CURLINFO_RESPONSE_CODE, &http_status);
    curl_easy_cleanup(curl);

    if (code == CURLE_WRITE_ERROR) {  // only AppendBody refuses to write
      return Unavailable(path, absl::StrCat("answer larger than ", kMaxBodyBytes >> 20, " MiB"));
    }
    if (code != CURLE_OK) {
      // The error buffer has the details (which syscall, how long it waited).
      return Unavailable(path, error[0] != '\0' ? error : curl_easy_strerror(code));
    }
    if (http_status != 200) {
      absl::string_view excerpt = absl::StripAsciiWhitespace(body);
      if (excerpt.size() > kMaxErrorBodyBytes) excerpt = excerpt.substr(0, kMaxErrorBodyBytes);
      return Unavailable(path, absl::StrCat("HTTP status ", http_status, ": ", excerpt));
    }
    return body;
  }

  std::string Where() const override { return absl::StrCat("unix socket ", socket_path_); }

 private:
  absl::Status Unavailable(absl::string_view path, absl::string_view why) const {
    return absl::UnavailableError(absl::StrCat("GET ", path, " on ", Where(), ": ", why));
  }

  const std::string socket_path_;
};

class DockerApiLister : public ContainerLister {
 public:
  DockerApiLister(std::string socket_path, absl::Duration timeout)
      : client_(std::move(socket_path)), timeout_(timeout) {}

  absl::StatusOr<std::vector<EngineContainer>> ListContainers() const override {
    constexpr char kPath[] = "/containers/json";
    absl::StatusOr<std::string> body = client_.Get(kPath, timeout_);
    if (!body.ok()) return body.status();
    absl::StatusOr<std::vector<EngineContainer>> containers = ParseContainerList(*body);
    if (!containers.ok()) {
      return absl::InvalidArgumentError(absl::StrCat("GET ", kPath, " on ", client_.Where(), ": ",
                                                     containers.status().message()));
    }
    return containers;
  }

 private:
  const DockerApiClient client_;
  const absl::Duration timeout_;
};

}  // namespace

std::unique_ptr<EngineApi> NewDockerApiClient(std::string socket_path) {
  return std::make_unique<DockerApiClient>(std::move(socket_path));
}

std::unique_ptr<ContainerLister> NewDockerApiLister(std::string socket_path,
                                                    absl::Duration timeout) {
  return std::make_unique<DockerApiLister>(std::move(socket_path), timeout);
}

}  // namespace strata
