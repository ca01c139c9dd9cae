// EndpointSet: the endpoints of one upstream pool — their load (requests in flight, capped by
// max_inflight), their health (passive: ejected after consecutive failures and re-admitted after
// a back-off that doubles; active checks feed the same counters), and a first-come queue of
// requests waiting for a free slot. Thread-safe; shared by every loop. A pool with https
// endpoints gets one TLS context here (its ca_file's CAs, or the system's), which their targets
// share on every loop; it is built again only when a changed agreement builds a new set. So are
// the endpoints' keys (read by the snapshot build, gateway/snapshot.h): the set holds them, as
// the header lines each request carries, and never hands a key out.
#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "agreement/agreement.h"
#include "core/clock.h"
#include "core/result.h"
#include "http/client.h"
#include "runtime/waiter.h"

namespace accord {

struct EndpointHealthPolicy {
  int failures_to_eject = 3;
  int64_t first_backoff_ms = 1'000;
  int64_t max_backoff_ms = 30'000;
};

class EndpointSet {
 public:
  // `api_keys`: endpoint i's key at [i] ("" or absent: it sends none).
  EndpointSet(const Pool& pool, const Clock& clock, EndpointHealthPolicy policy = {},
              const std::vector<std::string>& api_keys = {});

  size_t size() const { return endpoints_.size(); }
  const UpstreamEndpoint& endpoint(int i) const { return config_[static_cast<size_t>(i)]; }
  const ClientTarget& target(int i) const { return targets_[static_cast<size_t>(i)]; }
  // The header lines every request to endpoint i carries, "\r\nName: value" each: its key and the
  // provider's version (upstream/provider_http.h).
  const std::string& request_headers(int i) const { return wire_[static_cast<size_t>(i)].headers; }
  // What a health check of endpoint i GETs.
  const std::string& health_target(int i) const {
    return wire_[static_cast<size_t>(i)].health_target;
  }
  // Replaces endpoint i's key wherever `text` (an upstream's error answer, before it goes to the
  // client or a log) repeats it.
  void redact_key(int i, std::string& text) const;

  // A slot on the healthy endpoint with the fewest requests in flight, skipping the endpoints in
  // `tried` (bit i: endpoint i). Waits first-come for a slot until `deadline`. Errors:
  // kUnavailable when no endpoint is healthy, kCapacityExceeded when none frees in time.
  asio::awaitable<Result<int>> acquire(uint64_t tried, MonoNanos deadline);
  // Non-blocking: -1 when no endpoint has room.
  int try_acquire(uint64_t tried);
  void release(int endpoint);

  void record_success(int endpoint);
  void record_failure(int endpoint);
  bool healthy(int endpoint) const;
  bool any_healthy() const;
  // A healthy endpoint outside `tried` (bit i: endpoint i) exists: a retry has somewhere to go.
  bool any_healthy_untried(uint64_t tried) const;
  int inflight(int endpoint) const;
  int64_t failures_total(int endpoint) const;

 private:
  struct State {
    std::atomic<int> inflight{0};
    std::atomic<int> consecutive_failures{0};
    std::atomic<int64_t> ejected_until{0};  // monotonic ns; 0: not ejected
    std::atomic<int64_t> backoff_ms{0};
    std::atomic<int64_t> failures_total{0};
  };

  struct Wire {
    std::string headers;
    std::string health_target;
    std::string key;  // for redact_key() only
  };

  std::vector<UpstreamEndpoint> config_;
  std::vector<ClientTarget> targets_;
  std::vector<Wire> wire_;
  std::vector<std::unique_ptr<State>> endpoints_;
  const Clock& clock_;
  EndpointHealthPolicy policy_;
  std::mutex mu_;
  std::deque<std::shared_ptr<Waiter>> waiting_;  // guarded by mu_
};

}  // namespace accord
