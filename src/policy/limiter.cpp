#include "policy/limiter.h"

#include <algorithm>
#include <charconv>

#include <fmt/format.h>

#include "core/decimal.h"

namespace accord {
namespace {

constexpr MonoNanos kMinute = 60 * kNanosPerSecond;

// The scope's limits: its own, or for a party its tier's in place of any it does not set.
Limits effective(const Limits& own, const Limits* defaults) {
  if (defaults == nullptr) return own;
  Limits l = *defaults;
  if (own.rpm) l.rpm = own.rpm;
  if (own.tpm) l.tpm = own.tpm;
  if (own.max_concurrent) l.max_concurrent = own.max_concurrent;
  if (own.budget_micro_usd_per_month) l.budget_micro_usd_per_month = own.budget_micro_usd_per_month;
  return l;
}

std::string fingerprint(const Limits& l) {
  return fmt::format("{} {} {} {}", l.rpm.value_or(-1), l.tpm.value_or(-1),
                     l.max_concurrent.value_or(-1), l.budget_micro_usd_per_month.value_or(-1));
}

bool any(const Limits& l) {
  return l.rpm || l.tpm || l.max_concurrent || l.budget_micro_usd_per_month;
}

// Counters for `limits`: the previous scope's when its limits are the same, else fresh.
std::shared_ptr<ScopeCounters> counters_for(const Limits& limits, std::string label,
                                            const ScopeCounters* previous_raw,
                                            const std::shared_ptr<ScopeCounters>& previous) {
  if (!any(limits)) return nullptr;
  const std::string print = fingerprint(limits);
  if (previous_raw != nullptr && previous_raw->fingerprint == print) return previous;
  auto c = std::make_shared<ScopeCounters>();
  c->scope = label.starts_with("key ")                       ? "key"
             : label.find(" on model ") != std::string::npos ? "party_model"
                                                             : "party";
  c->label = std::move(label);
  c->fingerprint = print;
  if (limits.rpm) c->rpm = std::make_unique<Gcra>(*limits.rpm, kMinute);
  if (limits.tpm) c->tpm = std::make_unique<Gcra>(*limits.tpm, kMinute);
  c->max_concurrent = limits.max_concurrent;
  if (limits.budget_micro_usd_per_month) {
    c->budget = std::make_unique<SpendBudget>(*limits.budget_micro_usd_per_month);
  }
  return c;
}

std::string usd(int64_t micros) {
  return fmt::format("${}", format_micros(micros));
}

std::string seconds(MonoNanos ns) {
  return fmt::format("{:.3g}s", static_cast<double>(ns) / 1e9);
}

}  // namespace

LimitState::LimitState(const Agreement& a, const LimitState* previous) {
  // Previous scopes are matched by what they are (a key id, a party name, a party×model pair).
  auto find_prev_key = [&](const std::string& label) -> std::shared_ptr<ScopeCounters> {
    if (previous == nullptr) return nullptr;
    for (const auto& k : previous->keys_) {
      if (k && k->label == label) return k;
    }
    return nullptr;
  };
  for (const ApiKey& k : a.keys) {
    const std::string label = fmt::format("key '{}'", k.id);
    auto prev = find_prev_key(label);
    keys_.push_back(counters_for(k.limits, label, prev.get(), prev));
  }
  for (const Party& p : a.parties) {
    const std::string label = fmt::format("party '{}'", p.name);
    std::shared_ptr<ScopeCounters> prev;
    if (previous != nullptr) {
      for (const auto& q : previous->parties_) {
        if (q && q->label == label) prev = q;
      }
    }
    const Tier* tier = p.tier == kNone ? nullptr : &a.tiers[p.tier];
    parties_.push_back(
        counters_for(effective(p.limits, tier ? &tier->limits : nullptr), label, prev.get(), prev));
  }
  for (const PartyModelLimit& l : a.limits) {
    const std::string label =
        fmt::format("party '{}' on model '{}'", a.parties[l.party].name, a.models[l.model].name);
    std::shared_ptr<ScopeCounters> prev;
    if (previous != nullptr) {
      for (const auto& [key, q] : previous->pairs_) {
        if (q && q->label == label) prev = q;
      }
    }
    pairs_.push_back({{l.party, l.model}, counters_for(l.limits, label, prev.get(), prev)});
  }
}

ScopeCounters* LimitState::pair(PartyId p, ModelId m) const {
  for (const auto& [key, counters] : pairs_) {
    if (key.first == p && key.second == m) return counters.get();
  }
  return nullptr;
}

std::vector<std::pair<std::string, SpendBudget*>> LimitState::budgets() const {
  std::vector<std::pair<std::string, SpendBudget*>> out;
  for (const auto* list : {&keys_, &parties_}) {
    for (const auto& c : *list) {
      if (c && c->budget) out.emplace_back(c->label, c->budget.get());
    }
  }
  return out;
}

LimitLease& LimitLease::operator=(LimitLease&& other) noexcept {
  if (this != &other) {
    complete(0, 0, 0, 0);
    scopes_ = other.scopes_;
    count_ = other.count_;
    other.count_ = 0;
    estimated_tokens_ = other.estimated_tokens_;
    held_cost_ = other.held_cost_;
    active_ = other.active_;
    other.active_ = false;
  }
  return *this;
}

void LimitLease::complete(int64_t actual_tokens, int64_t actual_cost, MonoNanos now,
                          UnixMillis wall_now) {
  if (!active_) return;
  active_ = false;
  for (ScopeCounters* s : scopes()) {
    if (s->tpm && actual_tokens < estimated_tokens_) {
      s->tpm->give_back(now, estimated_tokens_ - actual_tokens);
    } else if (s->tpm && actual_tokens > estimated_tokens_) {
      s->tpm->try_take(now, actual_tokens - estimated_tokens_);  // charge what was under-counted
    }
    if (s->max_concurrent) s->concurrent.fetch_sub(1, std::memory_order_relaxed);
    if (s->budget) s->budget->settle(wall_now, held_cost_, actual_cost);
  }
}

Result<LimitLease> admit_limits(const LimitState& state, const LimitRequest& r,
                                RateLimitHeaders* headers) {
  ScopeCounters* candidates[3] = {state.key(r.key_index), state.party(r.party),
                                  state.pair(r.party, r.model)};
  LimitLease lease;
  lease.estimated_tokens_ = r.estimated_tokens;
  lease.held_cost_ = r.max_cost_micro_usd;
  // What this scope took, to give back if a later one refuses.
  auto undo = [&](ScopeCounters* s, bool concurrent, bool request, bool tokens, bool budget) {
    if (concurrent) s->concurrent.fetch_sub(1, std::memory_order_relaxed);
    if (request) s->rpm->give_back(r.now, 1);
    if (tokens) s->tpm->give_back(r.now, r.estimated_tokens);
    if (budget) s->budget->settle(r.wall_now, r.max_cost_micro_usd, 0);
  };
  auto refuse = [&](Error e) -> Result<LimitLease> {
    for (ScopeCounters* s : lease.scopes()) {
      undo(s, s->max_concurrent.has_value(), s->rpm != nullptr, s->tpm != nullptr,
           s->budget != nullptr);
    }
    lease.count_ = 0;
    return e;
  };
  for (ScopeCounters* s : candidates) {
    if (s == nullptr) continue;
    bool took_concurrent = false;
    if (s->max_concurrent) {
      if (s->concurrent.fetch_add(1, std::memory_order_relaxed) >= *s->max_concurrent) {
        s->concurrent.fetch_sub(1, std::memory_order_relaxed);
        Error e = Error::client(ErrorKind::kRateLimited,
                                fmt::format("Concurrency limit reached on {}: at most {} requests "
                                            "at once.",
                                            s->label, *s->max_concurrent));
        e.retry_after_ms = 1000;
        e.limit = "concurrent";
        e.limit_scope = s->scope;
        return refuse(std::move(e));
      }
      took_concurrent = true;
    }
    if (s->rpm) {
      const Gcra::Decision d = s->rpm->try_take(r.now, 1);
      if (headers != nullptr &&
          (!headers->requests || d.remaining < headers->requests->remaining)) {
        headers->requests = d;
        headers->requests_limit = s->rpm->limit();
      }
      if (!d.allowed) {
        undo(s, took_concurrent, false, false, false);
        Error e = Error::client(ErrorKind::kRateLimited,
                                fmt::format("Rate limit reached for requests per minute (RPM) on "
                                            "{}: limit {}. Please try again in {}.",
                                            s->label, s->rpm->limit(), seconds(d.retry_after)));
        e.retry_after_ms = (d.retry_after + kNanosPerMilli - 1) / kNanosPerMilli;
        e.limit = "rpm";
        e.limit_scope = s->scope;
        return refuse(std::move(e));
      }
      if (headers != nullptr &&
          (!headers->requests || d.remaining < headers->requests->remaining)) {
        headers->requests = d;
        headers->requests_limit = s->rpm->limit();
      }
    }
    if (s->tpm) {
      const Gcra::Decision d = s->tpm->try_take(r.now, r.estimated_tokens);
      if (headers != nullptr && (!headers->tokens || d.remaining < headers->tokens->remaining)) {
        headers->tokens = d;
        headers->tokens_limit = s->tpm->limit();
      }
      if (!d.allowed) {
        undo(s, took_concurrent, s->rpm != nullptr, false, false);
        Error e = Error::client(
            ErrorKind::kRateLimited,
            r.estimated_tokens > s->tpm->limit()
                ? fmt::format("Request too large for the tokens per minute (TPM) limit on {}: "
                              "limit {}, requested up to {} (prompt and max_tokens). Lower "
                              "max_tokens.",
                              s->label, s->tpm->limit(), r.estimated_tokens)
                : fmt::format("Rate limit reached for tokens per minute (TPM) on {}: limit {}, "
                              "requested up to {}. Please try again in {}.",
                              s->label, s->tpm->limit(), r.estimated_tokens,
                              seconds(d.retry_after)));
        e.retry_after_ms = (d.retry_after + kNanosPerMilli - 1) / kNanosPerMilli;
        e.limit = "tpm";
        e.limit_scope = s->scope;
        return refuse(std::move(e));
      }
    }
    if (s->budget) {
      int64_t remaining = 0;
      if (!s->budget->try_hold(r.wall_now, r.max_cost_micro_usd, &remaining)) {
        undo(s, took_concurrent, s->rpm != nullptr, s->tpm != nullptr, false);
        Error e = Error::client(
            ErrorKind::kBudgetExceeded,
            fmt::format("The monthly budget of {} for {} could be exceeded: {} is left and this "
                        "request may cost up to {}.",
                        usd(s->budget->limit()), s->label, usd(std::max<int64_t>(0, remaining)),
                        usd(r.max_cost_micro_usd)));
        e.limit = "budget";
        e.limit_scope = s->scope;
        return refuse(std::move(e));
      }
    }
    lease.scopes_[lease.count_++] = s;  // one per candidate: at most three
  }
  lease.active_ = true;
  return lease;
}

std::string_view format_reset_to(char (&out)[32], MonoNanos d) {
  char* p = out;
  char* const end = out + sizeof out;
  auto number = [&](int64_t n) { p = std::to_chars(p, end, n).ptr; };
  auto text = [&](std::string_view t) { p = std::copy(t.begin(), t.end(), p); };
  const int64_t ms = d <= 0 ? 0 : (d + kNanosPerMilli - 1) / kNanosPerMilli;
  if (ms == 0) {
    text("0s");
  } else if (ms < 1000) {
    number(ms);
    text("ms");
  } else {
    const int64_t h = ms / 3'600'000, m = ms / 60'000 % 60, s = ms / 1000 % 60;
    int64_t frac = ms % 1000;
    if (h > 0) {
      number(h);
      text("h");
    }
    if (h > 0 || m > 0) {
      number(m);
      text("m");
    }
    number(s);
    if (frac != 0) {
      // Milliseconds as a decimal fraction without trailing zeros: 500 → ".5", 20 → ".02".
      char digits[3] = {static_cast<char>('0' + frac / 100),
                        static_cast<char>('0' + frac / 10 % 10),
                        static_cast<char>('0' + frac % 10)};
      size_t n = 3;
      while (digits[n - 1] == '0') --n;
      text(".");
      text(std::string_view(digits, n));
    }
    text("s");
  }
  return {out, static_cast<size_t>(p - out)};
}

std::string format_reset(MonoNanos d) {
  char out[32];
  return std::string(format_reset_to(out, d));
}

}  // namespace accord
