// Stage 4, limit: RPM, TPM, concurrent requests and monthly spend, for each scope a request falls
// in — its key, its party (the tier's limits as defaults, the party's own in their place) and
// its (party, model) — all of which must admit it. Tokens are estimated at admission and
// reconciled at completion through a lease; a lease dropped without completing (a failure, a
// client that left) gives back everything but the request itself. Counters live in LimitState,
// which a reload carries over scope by scope. No global lock: each counter has its own.
#pragma once

#include <array>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <vector>

#include "agreement/agreement.h"
#include "core/result.h"
#include "policy/budget.h"
#include "policy/gcra.h"

namespace accord {

// The counters of one scope.
struct ScopeCounters {
  std::string label;        // "key 'acme-demo'", "party 'acme'", "party 'acme' on model 'm'"
  const char* scope = "";   // "key", "party", "party_model"
  std::string fingerprint;  // its limits; counters are kept across reloads while it is equal
  std::unique_ptr<Gcra> rpm;
  std::unique_ptr<Gcra> tpm;
  std::optional<int64_t> max_concurrent;
  std::atomic<int64_t> concurrent{0};
  std::unique_ptr<SpendBudget> budget;
};

class LimitState {
 public:
  // Builds the counters for `agreement`, keeping those of `previous` whose limits did not change.
  LimitState(const Agreement& agreement, const LimitState* previous);

  // nullptr for a key index out of range (the simulator admits traffic without keys).
  ScopeCounters* key(size_t key_index) const {
    return key_index < keys_.size() ? keys_[key_index].get() : nullptr;
  }
  ScopeCounters* party(PartyId p) const { return parties_[static_cast<size_t>(p)].get(); }
  ScopeCounters* pair(PartyId p, ModelId m) const;
  SpendBudget* party_budget(PartyId p) const {
    const auto& c = parties_[static_cast<size_t>(p)];
    return c ? c->budget.get() : nullptr;
  }
  SpendBudget* key_budget(size_t key_index) const {
    const auto& c = keys_[key_index];
    return c ? c->budget.get() : nullptr;
  }
  // Every budget, for seeding from the ledger and for reports: (scope, budget).
  std::vector<std::pair<std::string, SpendBudget*>> budgets() const;

 private:
  std::vector<std::shared_ptr<ScopeCounters>> keys_;
  std::vector<std::shared_ptr<ScopeCounters>> parties_;
  std::vector<std::pair<std::pair<PartyId, ModelId>, std::shared_ptr<ScopeCounters>>> pairs_;
};

// The tightest rate limits that applied, for x-ratelimit-* headers (absent: no such limit).
struct RateLimitHeaders {
  std::optional<Gcra::Decision> requests;
  int64_t requests_limit = 0;
  std::optional<Gcra::Decision> tokens;
  int64_t tokens_limit = 0;
};

struct LimitRequest {
  size_t key_index = 0;
  PartyId party = kNone;
  ModelId model = kNone;
  int64_t estimated_tokens = 0;    // prompt (upper bound) + the most output it may produce
  int64_t max_cost_micro_usd = 0;  // what the budget must hold back
  MonoNanos now = 0;
  UnixMillis wall_now = 0;
};

class [[nodiscard]] LimitLease {
 public:
  LimitLease() = default;
  LimitLease(LimitLease&& other) noexcept { *this = std::move(other); }
  LimitLease& operator=(LimitLease&& other) noexcept;
  LimitLease(const LimitLease&) = delete;
  LimitLease& operator=(const LimitLease&) = delete;
  ~LimitLease() { complete(0, 0, 0, 0); }

  // The real use: unused tokens go back to the TPM buckets, the budget settles the real cost,
  // the concurrency slots are freed. Idempotent.
  void complete(int64_t actual_tokens, int64_t actual_cost_micro_usd, MonoNanos now,
                UnixMillis wall_now);

 private:
  friend Result<LimitLease> admit_limits(const LimitState& state, const LimitRequest& request,
                                         RateLimitHeaders* headers);
  std::span<ScopeCounters* const> scopes() const { return {scopes_.data(), count_}; }

  // Owned by the LimitState of the request's snapshot, which outlives the lease. At most three:
  // the key, the party, the party on the model (held inline: no allocation per request).
  std::array<ScopeCounters*, 3> scopes_{};
  size_t count_ = 0;
  int64_t estimated_tokens_ = 0;
  int64_t held_cost_ = 0;
  bool active_ = false;
};

// All scopes admit the request (and it holds its share of each), or none is charged and the
// error names the limit and its scope (429, with retry-after).
Result<LimitLease> admit_limits(const LimitState& state, const LimitRequest& request,
                                RateLimitHeaders* headers);

// Go-style durations as OpenAI writes them: "20ms", "1s", "6m0s", "1h2m3s".
std::string format_reset(MonoNanos duration);
// The same, written into `out` (no allocation, for the response headers of every request).
std::string_view format_reset_to(char (&out)[32], MonoNanos duration);

}  // namespace accord
