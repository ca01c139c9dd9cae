#include "metrics/dashboard_data.h"

#include <algorithm>
#include <cmath>

#include "core/json_writer.h"

namespace accord {

double histogram_quantile(double q, const prometheus::ClientMetric::Histogram& h) {
  if (h.sample_count == 0 || h.bucket.empty()) return -1;
  const double rank = q * static_cast<double>(h.sample_count);
  double lower = 0;
  uint64_t below = 0;
  for (const auto& b : h.bucket) {
    if (static_cast<double>(b.cumulative_count) >= rank) {
      if (std::isinf(b.upper_bound)) return lower;  // beyond the last bound: its lower edge
      const uint64_t in_bucket = b.cumulative_count - below;
      if (in_bucket == 0) return b.upper_bound;
      return lower + (b.upper_bound - lower) * (rank - static_cast<double>(below)) /
                         static_cast<double>(in_bucket);
    }
    lower = b.upper_bound;
    below = b.cumulative_count;
  }
  return lower;
}

namespace {

double request_count(const PairSeries& s) {
  double n = 0;
  for (const auto& by_class : s.requests) {
    for (const auto& c : by_class) {
      if (const prometheus::Counter* counter = c.load(std::memory_order_acquire)) {
        n += counter->Value();
      }
    }
  }
  return n;
}

// The answers that refused a party, by cause: its entitlement (403: not yet, or not for its
// tier; 404: a model it may not know of), a rate or concurrency limit, its budget, a pool's
// capacity. (A request without a valid key belongs to no party: see "unauthenticated".)
struct RefusalCauses {
  double entitlement = 0, limit = 0, budget = 0, capacity = 0;
  double total() const { return entitlement + limit + budget + capacity; }
  void add(const PairSeries& s) {
    for (const int status : {403, 404}) {
      const auto slot = static_cast<size_t>(
          std::find(kStatusSlots.begin(), kStatusSlots.end(), status) - kStatusSlots.begin());
      for (const auto& by_class : s.requests) {
        if (const prometheus::Counter* c = by_class[slot].load(std::memory_order_acquire)) {
          entitlement += c->Value();
        }
      }
    }
    for (size_t i = 0; i < s.refusals.size(); ++i) {
      const prometheus::Counter* c = s.refusals[i].load(std::memory_order_acquire);
      if (c == nullptr) continue;
      const auto slot = static_cast<RefusalSlot>(i);
      if (slot == RefusalSlot::kCapacityPool) {
        capacity += c->Value();
      } else if (slot == RefusalSlot::kBudgetKey || slot == RefusalSlot::kBudgetParty) {
        budget += c->Value();
      } else {
        limit += c->Value();
      }
    }
  }
};

}  // namespace

std::string dashboard_json(GatewayMetrics& metrics, const Snapshot& snapshot, const Ledger* ledger,
                           UnixMillis now) {
  const Agreement& a = *snapshot.agreement;
  const GatewayMetrics::Table& t = metrics.table_for(snapshot.agreement);
  std::string out;
  JsonWriter w(out);
  w.begin_object().field("time_ms", static_cast<int64_t>(now));
  w.key("parties").begin_array();
  for (size_t p = 0; p < a.parties.size(); ++p) {
    const Party& party = a.parties[p];
    double requests = 0, input = 0, output = 0, weighted = 0;
    RefusalCauses refused;
    w.begin_object().field("party", party.name).field("role", to_string(party.role));
    // Its requests for a model it may not know of (404) count with the rest.
    const PairSeries& unknown_model = t.at(static_cast<PartyId>(p), kNone);
    requests += request_count(unknown_model);
    refused.add(unknown_model);
    w.key("reservations").begin_array();
    for (size_t m = 0; m < a.models.size(); ++m) {
      const PairSeries& s = t.at(static_cast<PartyId>(p), static_cast<ModelId>(m));
      requests += request_count(s);
      refused.add(s);
      const double in = s.input_tokens->Value(), outp = s.output_tokens->Value();
      input += in;
      output += outp;
      weighted += in + a.pools[a.models[m].pool].output_weight * outp;
      if (!s.has_reservation) continue;
      double reserved_rate = 0;
      for (const Reservation& r : a.reservations) {
        if (static_cast<size_t>(r.party) == p && static_cast<size_t>(r.model) == m) {
          reserved_rate = r.tokens_per_s;
        }
      }
      const auto ttft = s.ttft->Collect().histogram;
      const double served_requests = s.reserved_requests->Value();
      w.begin_object().field("model", s.model).field("reserved_tokens_per_s", reserved_rate);
      w.field("served_weighted_tokens", s.reserved_served_tokens->Value());
      w.field("requests", served_requests);
      w.key("ttft_p99_ms");
      if (const double q = histogram_quantile(0.99, ttft); q >= 0) {
        w.value(std::round(q * 1e4) / 10);
      } else {
        w.null();
      }
      w.key("ttft_target_ms");
      if (s.ttft_target_s > 0) {
        w.value(s.ttft_target_s * 1000);
      } else {
        w.null();
      }
      w.key("attainment");
      if (served_requests > 0) {
        w.value(s.reserved_attained->Value() / served_requests);
      } else {
        w.null();
      }
      w.end_object();
    }
    w.end_array();
    w.field("requests", requests).field("refusals", refused.total());
    w.key("refused_by").begin_object().field("entitlement", refused.entitlement);
    w.field("limit", refused.limit).field("budget", refused.budget);
    w.field("capacity", refused.capacity).end_object();
    w.field("input_tokens", input).field("output_tokens", output);
    w.field("weighted_tokens", weighted);
    w.key("budget");
    if (SpendBudget* b = snapshot.limits->party_budget(static_cast<PartyId>(p))) {
      w.begin_object();
      w.field("limit_usd", static_cast<double>(b->limit()) / 1e6);
      w.field("spent_usd", static_cast<double>(b->spent(now) + b->held(now)) / 1e6);
      w.end_object();
    } else {
      w.null();
    }
    w.end_object();
  }
  w.end_array();
  // Answers to requests without a valid key (401): no party to count them for.
  const PairSeries& anonymous = t.at(kNone, kNone);
  const auto unauthorized = static_cast<size_t>(
      std::find(kStatusSlots.begin(), kStatusSlots.end(), 401) - kStatusSlots.begin());
  double unauthenticated = 0;
  for (const auto& by_class : anonymous.requests) {
    if (const prometheus::Counter* c = by_class[unauthorized].load(std::memory_order_acquire)) {
      unauthenticated += c->Value();
    }
  }
  w.field("unauthenticated", unauthenticated);
  w.key("pools").begin_array();
  for (size_t i = 0; i < a.pools.size(); ++i) {
    const PoolBackend& backend = *snapshot.pools[i];
    w.begin_object().field("pool", a.pools[i].name);
    w.field("engine", backend.engine ? "builtin" : "upstream");
    if (backend.scheduler) {
      const SchedulerStats st = backend.scheduler->stats();
      w.field("slots_used", st.slots_used).field("slots_total", st.slots_total);
      w.key("queue").begin_object();
      w.field("reserved", static_cast<int64_t>(st.queued_reserved));
      w.field("priority", static_cast<int64_t>(st.queued_priority));
      w.field("shared", static_cast<int64_t>(st.queued_shared));
      w.field("preemptible", static_cast<int64_t>(st.queued_preemptible));
      w.end_object();
      w.field("refused", st.refused).field("preempted", st.preempted);
    }
    w.field("weighted_tokens", t.pool_tokens[i]->Value());
    if (backend.endpoints) {
      w.key("endpoints").begin_array();
      for (size_t e = 0; e < backend.endpoints->size(); ++e) {
        const int ei = static_cast<int>(e);
        w.begin_object().field("url", backend.endpoints->endpoint(ei).url);
        w.field("healthy", backend.endpoints->healthy(ei));
        w.field("inflight", backend.endpoints->inflight(ei)).end_object();
      }
      w.end_array();
    }
    w.end_object();
  }
  w.end_array();
  w.key("ledger");
  if (ledger != nullptr) {
    const LedgerStats st = ledger->stats();
    w.begin_object().field("healthy", st.healthy);
    w.field("queue_depth", static_cast<int64_t>(st.queue_depth));
    w.field("committed", static_cast<int64_t>(st.committed));
    w.field("last_commit_ms", st.last_commit_ms).end_object();
  } else {
    w.null();
  }
  w.end_object();
  return out;
}

}  // namespace accord
