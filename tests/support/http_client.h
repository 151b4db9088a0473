// A small libcurl client for tests that talk to a real server.
#pragma once

#include <map>
#include <string>
#include <vector>

namespace strata::testing {

struct HttpResult {
  bool ok = false;  // transport worked (any HTTP status)
  std::string error;
  long status = 0;
  std::map<std::string, std::string> headers;  // lower-cased names
  std::string body;                            // decoded when `decode_gzip`
};

struct HttpGetOptions {
  std::vector<std::string> headers;  // "Name: value"
  bool decode_gzip = false;          // let libcurl ask for and inflate gzip
  std::string method = "GET";
  long timeout_ms = 15000;
  // HTTPS: the CA that must have signed the server's certificate, and the
  // client's own certificate and key (PEM files); empty: none.
  std::string ca_file;
  std::string client_cert;
  std::string client_key;
  // Basic auth as "user:password"; empty: none.
  std::string user_password;
  // Sent as the request body when `method` is POST (set a Content-Type header).
  std::string body;
};

HttpResult HttpGet(const std::string& url, const HttpGetOptions& options = {});

}  // namespace strata::testing
