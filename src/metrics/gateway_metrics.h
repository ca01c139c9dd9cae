// GatewayMetrics: the gateway's Prometheus metrics (prometheus-cpp), fed by the completion stage
// and, at scrape time, by the pools, endpoints, budgets and the ledger.
//
// Label values come only from the agreement (party, model, pool and endpoint names) and from
// fixed sets (class, status, limit, scope), never from client input, so cardinality is bounded.
// The request path does no lookup by label strings: the series of each (party, model) are
// resolved once per agreement into a table indexed by ids, and a request's update is a handful
// of atomic additions.
#pragma once

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include <array>
#include <atomic>
#include <map>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/agreement_store.h"
#include "gateway/request_context.h"
#include "ledger/ledger.h"
#include "trace/trace_stats.h"

namespace accord {

class EventLoops;

// Statuses with their own series; anything else counts as "other".
inline constexpr std::array<int, 16> kStatusSlots{200, 400, 401, 403, 404, 405, 408, 413,
                                                  422, 429, 431, 499, 500, 502, 503, 504};
// Refusals by limit and scope.
enum class RefusalSlot : uint8_t {
  kRpmKey,
  kRpmParty,
  kRpmPair,
  kTpmKey,
  kTpmParty,
  kTpmPair,
  kConcurrentKey,
  kConcurrentParty,
  kConcurrentPair,
  kBudgetKey,
  kBudgetParty,
  kCapacityPool,
  kCount
};

// The series of one (party, model) pair, resolved once.
struct PairSeries {
  std::string party, model;  // label values ("" for an unauthenticated request or no model)
  prometheus::Counter* input_tokens = nullptr;
  prometheus::Counter* output_tokens = nullptr;
  prometheus::Histogram* ttft = nullptr;
  prometheus::Histogram* tpot = nullptr;
  prometheus::Histogram* total = nullptr;
  prometheus::Histogram* queue = nullptr;
  // Created on first use (most combinations never occur): [class][status slot + other].
  std::array<std::array<std::atomic<prometheus::Counter*>, kStatusSlots.size() + 1>, 4> requests{};
  std::array<std::atomic<prometheus::Counter*>, static_cast<size_t>(RefusalSlot::kCount)>
      refusals{};
  // The party's reservation on the model, if any.
  bool has_reservation = false;
  double ttft_target_s = 0, tpot_target_s = 0;            // 0: no target
  prometheus::Counter* reserved_served_tokens = nullptr;  // weighted
  prometheus::Counter* reserved_requests = nullptr;
  prometheus::Counter* reserved_attained = nullptr;
};

class GatewayMetrics final : public CompletionObserver {
 public:
  // `ledger` may be null.
  GatewayMetrics(const AgreementStore& store, const Ledger* ledger);

  void on_complete(const RequestContext& ctx) override;

  // The Prometheus text exposition (version 0.0.4), gauges refreshed first. Any thread.
  std::string scrape();

  // The series of every (party, model) of `agreement`, built on first use; lives as long as
  // this object. Row-major by party then model; the last row and column are "none".
  struct Table {
    std::shared_ptr<const Agreement> agreement;
    size_t columns = 0;  // models + 1
    std::vector<std::unique_ptr<PairSeries>> pairs;
    std::vector<prometheus::Counter*> pool_tokens;  // by PoolId
    PairSeries& at(PartyId p, ModelId m) const {
      const size_t row = p == kNone ? agreement->parties.size() : static_cast<size_t>(p);
      const size_t col = m == kNone ? columns - 1 : static_cast<size_t>(m);
      return *pairs[row * columns + col];
    }
  };
  const Table& table_for(const std::shared_ptr<const Agreement>& agreement);
  // Refreshes the scrape-time gauges (pools, endpoints, budgets, ledger). Any thread.
  void refresh_gauges();

  prometheus::Registry& registry() { return *registry_; }

  // The event loops whose CPU time on work and on busy polling the metrics show; before the
  // first scrape.
  void set_event_loops(const EventLoops* loops) { loops_ = loops; }
  // The trace exporter's counts; before the first scrape.
  void set_trace_stats(const TraceExportStats* stats) { trace_stats_ = stats; }

  static constexpr const char* kClassNames[4] = {"reserved", "shared", "preemptible", "none"};

 private:
  prometheus::Counter& request_counter(PairSeries& s, size_t cls, size_t slot);
  prometheus::Counter& refusal_counter(PairSeries& s, RefusalSlot slot);
  std::unique_ptr<Table> build_table(const std::shared_ptr<const Agreement>& agreement);

  const AgreementStore& store_;
  const Ledger* ledger_;
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>& requests_;
  prometheus::Family<prometheus::Counter>& input_tokens_;
  prometheus::Family<prometheus::Counter>& output_tokens_;
  prometheus::Family<prometheus::Histogram>& ttft_;
  prometheus::Family<prometheus::Histogram>& tpot_;
  prometheus::Family<prometheus::Histogram>& total_;
  prometheus::Family<prometheus::Histogram>& queue_;
  prometheus::Family<prometheus::Counter>& refusals_;
  prometheus::Family<prometheus::Counter>& pool_weighted_tokens_;
  prometheus::Family<prometheus::Gauge>& pool_slots_used_;
  prometheus::Family<prometheus::Gauge>& pool_slots_total_;
  prometheus::Family<prometheus::Gauge>& pool_queue_;
  prometheus::Family<prometheus::Gauge>& reservation_rate_;
  prometheus::Family<prometheus::Counter>& reservation_served_;
  prometheus::Family<prometheus::Counter>& reservation_requests_;
  prometheus::Family<prometheus::Counter>& reservation_attained_;
  prometheus::Family<prometheus::Gauge>& budget_limit_;
  prometheus::Family<prometheus::Gauge>& budget_spent_;
  prometheus::Family<prometheus::Gauge>& endpoint_healthy_;
  prometheus::Family<prometheus::Gauge>& endpoint_inflight_;
  prometheus::Family<prometheus::Counter>& endpoint_failures_;
  prometheus::Family<prometheus::Gauge>& ledger_queue_;
  prometheus::Family<prometheus::Gauge>& ledger_last_commit_;
  prometheus::Family<prometheus::Counter>& ledger_commits_;
  prometheus::Family<prometheus::Counter>& ledger_commit_seconds_;
  prometheus::Family<prometheus::Counter>& ledger_records_;
  prometheus::Family<prometheus::Counter>& ledger_failed_commits_;
  prometheus::Family<prometheus::Gauge>& ledger_healthy_;
  prometheus::Family<prometheus::Counter>& loop_work_seconds_;
  prometheus::Family<prometheus::Counter>& loop_poll_seconds_;
  prometheus::Family<prometheus::Counter>& trace_spans_exported_;
  prometheus::Family<prometheus::Counter>& trace_spans_dropped_;
  const EventLoops* loops_ = nullptr;
  const TraceExportStats* trace_stats_ = nullptr;

  // The table of the most recent agreement seen. Tables (and the agreements they hold, so an
  // address is never reused) are kept for the process's life — one per reload, a few pointers
  // per pair — so a reader never sees one freed.
  std::atomic<const Table*> current_{nullptr};
  std::mutex tables_mu_;
  std::map<const Agreement*, std::unique_ptr<Table>> tables_;  // guarded by tables_mu_

  std::mutex scrape_mu_;  // one refresh at a time; mirrors of external counters below
  std::map<std::string, int64_t> mirrored_;  // guarded by scrape_mu_
};

}  // namespace accord
