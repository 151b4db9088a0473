// A small HTTP/1.1 listener on 127.0.0.1 that records every POST it gets, as
// an Alertmanager webhook receiver would see it: the path and the body. It
// answers 200 to each, one request per connection. Used to prove that alerts
// are delivered, not only that Prometheus shows them. Thread-safe: a
// background thread serves while the test reads Requests().
#pragma once

#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "absl/base/thread_annotations.h"
#include "absl/synchronization/mutex.h"

namespace strata::testing {

struct WebhookRequest {
  std::string path;  // e.g. /paging
  std::string body;
};

class WebhookReceiver {
 public:
  // Listens on an ephemeral loopback port; ok() says whether it could.
  WebhookReceiver();
  ~WebhookReceiver();
  WebhookReceiver(const WebhookReceiver&) = delete;
  WebhookReceiver& operator=(const WebhookReceiver&) = delete;

  bool ok() const { return fd_ >= 0; }
  int port() const { return port_; }
  // http://127.0.0.1:<port><path>
  std::string url(const std::string& path) const;
  // Every request received so far, in arrival order.
  std::vector<WebhookRequest> Requests() const;

 private:
  void Serve();
  void Handle(int client);

  int fd_ = -1;
  int port_ = 0;
  std::atomic<bool> stop_{false};
  std::thread thread_;
  mutable absl::Mutex mutex_;
  std::vector<WebhookRequest> requests_ ABSL_GUARDED_BY(mutex_);
};

}  // namespace strata::testing
