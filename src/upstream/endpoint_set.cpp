#include "upstream/endpoint_set.h"

#include <fmt/format.h>
#include <spdlog/spdlog.h>

#include <algorithm>

#include "http/tls_client.h"
#include "upstream/provider_http.h"

namespace accord {

namespace {

// The pool's one TLS context, shared by its https endpoints on every loop; null when it has none.
std::shared_ptr<const TlsClientContext> tls_context_of(const Pool& pool) {
  const bool any_tls = std::any_of(pool.upstreams.begin(), pool.upstreams.end(),
                                   [](const UpstreamEndpoint& e) { return e.tls; });
  if (!any_tls) return nullptr;
  auto loaded = TlsClientContext::load(pool.ca_file);
  if (loaded.ok()) return std::move(loaded.value());
  // Checked when the agreement was loaded; gone since. Each request says why it cannot connect.
  std::string problem =
      pool.ca_file.empty() ? loaded.error().message : "ca_file: " + loaded.error().message;
  spdlog::error("pool {}: {}", pool.name, problem);
  return TlsClientContext::unusable(std::move(problem));
}

}  // namespace

EndpointSet::EndpointSet(const Pool& pool, const Clock& clock, EndpointHealthPolicy policy,
                         const std::vector<std::string>& api_keys)
    : config_(pool.upstreams), clock_(clock), policy_(policy) {
  const std::shared_ptr<const TlsClientContext> tls = tls_context_of(pool);
  for (size_t i = 0; i < config_.size(); ++i) {
    const UpstreamEndpoint& e = config_[i];
    targets_.push_back(make_client_target(e.host, e.port, static_cast<size_t>(e.max_inflight),
                                          e.tls ? tls : nullptr));
    std::string key = i < api_keys.size() ? api_keys[i] : std::string();
    wire_.push_back(
        Wire{provider_header_lines(pool, key), health_check_target(pool, e), std::move(key)});
    endpoints_.push_back(std::make_unique<State>());
  }
}

void EndpointSet::redact_key(int i, std::string& text) const {
  const std::string& key = wire_[static_cast<size_t>(i)].key;
  if (key.empty()) return;
  static constexpr std::string_view kRedacted = "[redacted]";
  for (size_t at = text.find(key); at != std::string::npos; at = text.find(key, at)) {
    text.replace(at, key.size(), kRedacted);
    at += kRedacted.size();
  }
}

bool EndpointSet::healthy(int i) const {
  const int64_t until =
      endpoints_[static_cast<size_t>(i)]->ejected_until.load(std::memory_order_relaxed);
  return until == 0 || clock_.now() >= until;
}

bool EndpointSet::any_healthy() const {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (healthy(static_cast<int>(i))) return true;
  }
  return false;
}

int EndpointSet::inflight(int i) const {
  return endpoints_[static_cast<size_t>(i)]->inflight.load(std::memory_order_relaxed);
}

int64_t EndpointSet::failures_total(int i) const {
  return endpoints_[static_cast<size_t>(i)]->failures_total.load(std::memory_order_relaxed);
}

bool EndpointSet::any_healthy_untried(uint64_t tried) const {
  for (size_t i = 0; i < endpoints_.size(); ++i) {
    if (i < 64 && (tried >> i & 1) != 0) continue;
    if (healthy(static_cast<int>(i))) return true;
  }
  return false;
}

int EndpointSet::try_acquire(uint64_t tried) {
  for (;;) {
    int best = -1;
    int best_load = 0;
    for (size_t i = 0; i < endpoints_.size(); ++i) {
      if (i < 64 && (tried >> i & 1) != 0) continue;
      if (!healthy(static_cast<int>(i))) continue;
      const int load = endpoints_[i]->inflight.load(std::memory_order_relaxed);
      if (load >= config_[i].max_inflight) continue;
      if (best < 0 || load < best_load) best = static_cast<int>(i), best_load = load;
    }
    if (best < 0) return -1;
    std::atomic<int>& slot = endpoints_[static_cast<size_t>(best)]->inflight;
    int expected = best_load;
    if (slot.compare_exchange_weak(expected, best_load + 1, std::memory_order_acq_rel)) {
      return best;
    }
  }
}

asio::awaitable<Result<int>> EndpointSet::acquire(uint64_t tried, MonoNanos deadline) {
  std::shared_ptr<Waiter> waiter;
  for (;;) {
    const int i = try_acquire(tried);
    if (i >= 0) co_return i;
    bool any = false;
    for (size_t k = 0; k < endpoints_.size(); ++k) {
      if ((k >= 64 || (tried >> k & 1) == 0) && healthy(static_cast<int>(k))) any = true;
    }
    if (!any) {
      co_return Error::upstream(ErrorKind::kUnavailable,
                                "No healthy upstream endpoint is available for this model.", false);
    }
    if (clock_.now() >= deadline) {
      co_return Error::upstream(ErrorKind::kCapacityExceeded,
                                "Every upstream endpoint of this model is busy; no slot freed "
                                "within the pool's maximum queue time.",
                                true);
    }
    if (!waiter) waiter = std::make_shared<Waiter>(co_await asio::this_coro::executor);
    {
      std::lock_guard lock(mu_);
      waiting_.push_back(waiter);
    }
    // Re-check after queueing, so a release between the two cannot be missed. A wakeup that
    // goes unused is repaired by the periodic re-check below.
    const int again = try_acquire(tried);
    if (again < 0) {
      co_await waiter->wait_until(std::min(deadline, clock_.now() + kNanosPerSecond));
    }
    {
      std::lock_guard lock(mu_);
      if (auto it = std::find(waiting_.begin(), waiting_.end(), waiter); it != waiting_.end()) {
        waiting_.erase(it);
      }
    }
    if (again >= 0) co_return again;
  }
}

void EndpointSet::release(int i) {
  endpoints_[static_cast<size_t>(i)]->inflight.fetch_sub(1, std::memory_order_acq_rel);
  std::shared_ptr<Waiter> next;
  {
    std::lock_guard lock(mu_);
    if (waiting_.empty()) return;
    next = std::move(waiting_.front());
    waiting_.pop_front();
  }
  Waiter::notify(next);
}

void EndpointSet::record_success(int i) {
  State& s = *endpoints_[static_cast<size_t>(i)];
  s.consecutive_failures.store(0, std::memory_order_relaxed);
  s.ejected_until.store(0, std::memory_order_relaxed);
  s.backoff_ms.store(0, std::memory_order_relaxed);
}

void EndpointSet::record_failure(int i) {
  State& s = *endpoints_[static_cast<size_t>(i)];
  s.failures_total.fetch_add(1, std::memory_order_relaxed);
  if (s.consecutive_failures.fetch_add(1, std::memory_order_relaxed) + 1 <
      policy_.failures_to_eject) {
    return;
  }
  int64_t backoff = s.backoff_ms.load(std::memory_order_relaxed);
  backoff = backoff == 0 ? policy_.first_backoff_ms : std::min(backoff * 2, policy_.max_backoff_ms);
  s.backoff_ms.store(backoff, std::memory_order_relaxed);
  s.ejected_until.store(clock_.now() + backoff * kNanosPerMilli, std::memory_order_relaxed);
  // One more failure after re-admission ejects it again, for twice as long.
  s.consecutive_failures.store(policy_.failures_to_eject - 1, std::memory_order_relaxed);
}

}  // namespace accord
