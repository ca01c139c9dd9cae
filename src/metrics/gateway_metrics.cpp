#include "metrics/gateway_metrics.h"

#include <prometheus/text_serializer.h>

#include <algorithm>

#include "runtime/event_loops.h"

namespace accord {
namespace {

using prometheus::Histogram;

const Histogram::BucketBoundaries& ttft_buckets() {
  static const Histogram::BucketBoundaries b{0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  return b;
}
const Histogram::BucketBoundaries& tpot_buckets() {
  static const Histogram::BucketBoundaries b{0.005, 0.01, 0.02, 0.035, 0.05,
                                             0.075, 0.1,  0.15, 0.25,  0.5};
  return b;
}
const Histogram::BucketBoundaries& total_buckets() {
  static const Histogram::BucketBoundaries b{0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300};
  return b;
}
const Histogram::BucketBoundaries& queue_buckets() {
  static const Histogram::BucketBoundaries b{0.001, 0.005, 0.01, 0.05, 0.1, 0.25,
                                             0.5,   1,     2.5,  5,    10,  30};
  return b;
}

double seconds_between(MonoNanos from, MonoNanos to) {
  return to > from ? static_cast<double>(to - from) / 1e9 : 0.0;
}

size_t status_slot(int status) {
  const auto* it = std::find(kStatusSlots.begin(), kStatusSlots.end(), status);
  return static_cast<size_t>(it - kStatusSlots.begin());  // size(): "other"
}

std::optional<RefusalSlot> refusal_slot(const Error& e) {
  if (e.kind == ErrorKind::kCapacityExceeded) return RefusalSlot::kCapacityPool;
  if (e.limit == nullptr || e.limit_scope == nullptr) return std::nullopt;
  const std::string_view limit = e.limit, scope = e.limit_scope;
  const int s = scope == "key" ? 0 : scope == "party" ? 1 : 2;
  if (limit == "rpm") return static_cast<RefusalSlot>(0 + s);
  if (limit == "tpm") return static_cast<RefusalSlot>(3 + s);
  if (limit == "concurrent") return static_cast<RefusalSlot>(6 + s);
  if (limit == "budget") return s == 0 ? RefusalSlot::kBudgetKey : RefusalSlot::kBudgetParty;
  return std::nullopt;
}

constexpr std::array<std::pair<const char*, const char*>, static_cast<size_t>(RefusalSlot::kCount)>
    kRefusalLabels{{{"rpm", "key"},
                    {"rpm", "party"},
                    {"rpm", "party_model"},
                    {"tpm", "key"},
                    {"tpm", "party"},
                    {"tpm", "party_model"},
                    {"concurrent", "key"},
                    {"concurrent", "party"},
                    {"concurrent", "party_model"},
                    {"budget", "key"},
                    {"budget", "party"},
                    {"capacity", "pool"}}};

// "party 'acme'" → ("party", "acme").
std::pair<std::string, std::string> split_scope_label(const std::string& label) {
  const size_t q = label.find('\'');
  if (q == std::string::npos || q == 0) return {label, ""};
  const size_t end = label.find('\'', q + 1);
  return {label.substr(0, q - 1),
          label.substr(q + 1, end == std::string::npos ? end : end - q - 1)};
}

}  // namespace

GatewayMetrics::GatewayMetrics(const AgreementStore& store, const Ledger* ledger)
    : store_(store),
      ledger_(ledger),
      registry_(std::make_shared<prometheus::Registry>()),
      requests_(prometheus::BuildCounter()
                    .Name("accord_requests_total")
                    .Help("Requests that reached authentication, by party, model, scheduling "
                          "class and the HTTP status the client got (499: it went away)")
                    .Register(*registry_)),
      input_tokens_(prometheus::BuildCounter()
                        .Name("accord_input_tokens_total")
                        .Help("Prompt tokens, as billed")
                        .Register(*registry_)),
      output_tokens_(prometheus::BuildCounter()
                         .Name("accord_output_tokens_total")
                         .Help("Completion tokens, as billed")
                         .Register(*registry_)),
      ttft_(prometheus::BuildHistogram()
                .Name("accord_ttft_seconds")
                .Help("Time to first token (arrival to first content), successful requests")
                .Register(*registry_)),
      tpot_(prometheus::BuildHistogram()
                .Name("accord_time_per_output_token_seconds")
                .Help("Time per output token after the first, successful requests")
                .Register(*registry_)),
      total_(prometheus::BuildHistogram()
                 .Name("accord_request_duration_seconds")
                 .Help("Arrival to the response's end, successful requests")
                 .Register(*registry_)),
      queue_(prometheus::BuildHistogram()
                 .Name("accord_queue_seconds")
                 .Help("Time in the pool scheduler's queue, dispatched requests")
                 .Register(*registry_)),
      refusals_(prometheus::BuildCounter()
                    .Name("accord_refusals_total")
                    .Help("429 refusals by the limit (rpm, tpm, concurrent, budget, capacity) "
                          "and the scope it is set on")
                    .Register(*registry_)),
      pool_weighted_tokens_(prometheus::BuildCounter()
                                .Name("accord_pool_weighted_tokens_total")
                                .Help("Weighted tokens served (input + output_weight x output)")
                                .Register(*registry_)),
      pool_slots_used_(prometheus::BuildGauge()
                           .Name("accord_pool_slots_used")
                           .Help("Requests the pool is running")
                           .Register(*registry_)),
      pool_slots_total_(prometheus::BuildGauge()
                            .Name("accord_pool_slots")
                            .Help("Requests the pool runs at once: its effective concurrency "
                                  "limit (from its latency targets, an upstream pool's adaptive "
                                  "limit, or max_batch)")
                            .Register(*registry_)),
      pool_queue_(prometheus::BuildGauge()
                      .Name("accord_pool_queue_depth")
                      .Help("Requests waiting in the pool scheduler, by class")
                      .Register(*registry_)),
      reservation_rate_(prometheus::BuildGauge()
                            .Name("accord_reservation_tokens_per_second")
                            .Help("Reserved weighted tokens per second")
                            .Register(*registry_)),
      reservation_served_(prometheus::BuildCounter()
                              .Name("accord_reservation_served_tokens_total")
                              .Help("Weighted tokens served to the party on the model it has a "
                                    "reservation for")
                              .Register(*registry_)),
      reservation_requests_(prometheus::BuildCounter()
                                .Name("accord_reservation_requests_total")
                                .Help("Successful requests covered by a reservation")
                                .Register(*registry_)),
      reservation_attained_(prometheus::BuildCounter()
                                .Name("accord_reservation_attained_total")
                                .Help("Of those, the requests within every latency target")
                                .Register(*registry_)),
      budget_limit_(prometheus::BuildGauge()
                        .Name("accord_budget_limit_usd")
                        .Help("Monthly spend budget")
                        .Register(*registry_)),
      budget_spent_(prometheus::BuildGauge()
                        .Name("accord_budget_spent_usd")
                        .Help("Spend this month, settled and held for requests in flight")
                        .Register(*registry_)),
      endpoint_healthy_(prometheus::BuildGauge()
                            .Name("accord_upstream_healthy")
                            .Help("1 while the upstream endpoint is in rotation, 0 while ejected")
                            .Register(*registry_)),
      endpoint_inflight_(prometheus::BuildGauge()
                             .Name("accord_upstream_inflight")
                             .Help("Requests in flight to the upstream endpoint")
                             .Register(*registry_)),
      endpoint_failures_(prometheus::BuildCounter()
                             .Name("accord_upstream_failures_total")
                             .Help("Failed attempts on the upstream endpoint")
                             .Register(*registry_)),
      ledger_queue_(prometheus::BuildGauge()
                        .Name("accord_ledger_queue_depth")
                        .Help("Usage records waiting to be committed")
                        .Register(*registry_)),
      ledger_last_commit_(prometheus::BuildGauge()
                              .Name("accord_ledger_last_commit_seconds")
                              .Help("Duration of the last ledger commit")
                              .Register(*registry_)),
      ledger_commits_(prometheus::BuildCounter()
                          .Name("accord_ledger_commits_total")
                          .Help("Ledger commits (group transactions)")
                          .Register(*registry_)),
      ledger_commit_seconds_(prometheus::BuildCounter()
                                 .Name("accord_ledger_commit_seconds_total")
                                 .Help("Time spent committing to the ledger")
                                 .Register(*registry_)),
      ledger_records_(prometheus::BuildCounter()
                          .Name("accord_ledger_records_total")
                          .Help("Usage records committed")
                          .Register(*registry_)),
      ledger_failed_commits_(prometheus::BuildCounter()
                                 .Name("accord_ledger_failed_commits_total")
                                 .Help("Ledger commits that failed (and were retried)")
                                 .Register(*registry_)),
      ledger_healthy_(prometheus::BuildGauge()
                          .Name("accord_ledger_healthy")
                          .Help("1 while the ledger can be written; 0: new requests get 503")
                          .Register(*registry_)),
      loop_work_seconds_(prometheus::BuildCounter()
                             .Name("accord_event_loop_work_seconds_total")
                             .Help("CPU time of the event loop on work, not counting its busy "
                                   "polling (which the process's CPU time includes)")
                             .Register(*registry_)),
      loop_poll_seconds_(prometheus::BuildCounter()
                             .Name("accord_event_loop_poll_seconds_total")
                             .Help("Time the event loop spent busy polling for events")
                             .Register(*registry_)),
      trace_spans_exported_(prometheus::BuildCounter()
                                .Name("accord_trace_spans_exported_total")
                                .Help("Spans the trace collector accepted")
                                .Register(*registry_)),
      trace_spans_dropped_(prometheus::BuildCounter()
                               .Name("accord_trace_spans_dropped_total")
                               .Help("Spans not exported: the queue was full (queue_full) or "
                                     "the collector failed or was down (export_failed)")
                               .Register(*registry_)) {
  table_for(store_.current()->agreement);
}

std::unique_ptr<GatewayMetrics::Table> GatewayMetrics::build_table(
    const std::shared_ptr<const Agreement>& agreement) {
  const Agreement& a = *agreement;
  auto t = std::make_unique<Table>();
  t->agreement = agreement;
  t->columns = a.models.size() + 1;
  for (size_t p = 0; p <= a.parties.size(); ++p) {
    for (size_t m = 0; m < t->columns; ++m) {
      auto s = std::make_unique<PairSeries>();
      s->party = p < a.parties.size() ? a.parties[p].name : "";
      s->model = m < a.models.size() ? a.models[m].name : "";
      const std::map<std::string, std::string> labels{{"party", s->party}, {"model", s->model}};
      s->input_tokens = &input_tokens_.Add(labels);
      s->output_tokens = &output_tokens_.Add(labels);
      s->ttft = &ttft_.Add(labels, ttft_buckets());
      s->tpot = &tpot_.Add(labels, tpot_buckets());
      s->total = &total_.Add(labels, total_buckets());
      s->queue = &queue_.Add(labels, queue_buckets());
      for (const Reservation& r : a.reservations) {
        if (static_cast<size_t>(r.party) != p || static_cast<size_t>(r.model) != m) continue;
        s->has_reservation = true;
        s->ttft_target_s = r.slo.ttft_p99_ms.value_or(0) / 1000.0;
        s->tpot_target_s = r.slo.tpot_p99_ms.value_or(0) / 1000.0;
        s->reserved_served_tokens = &reservation_served_.Add(labels);
        s->reserved_requests = &reservation_requests_.Add(labels);
        s->reserved_attained = &reservation_attained_.Add(labels);
      }
      t->pairs.push_back(std::move(s));
    }
  }
  for (const Pool& pool : a.pools) {
    t->pool_tokens.push_back(&pool_weighted_tokens_.Add({{"pool", pool.name}}));
  }
  return t;
}

const GatewayMetrics::Table& GatewayMetrics::table_for(
    const std::shared_ptr<const Agreement>& agreement) {
  const Table* t = current_.load(std::memory_order_acquire);
  if (t != nullptr && t->agreement == agreement) return *t;
  std::lock_guard lock(tables_mu_);
  auto& slot = tables_[agreement.get()];
  if (!slot) slot = build_table(agreement);
  // The newest agreement becomes the fast path (a request of an older one is rare).
  if (agreement == store_.current()->agreement)
    current_.store(slot.get(), std::memory_order_release);
  return *slot;
}

prometheus::Counter& GatewayMetrics::request_counter(PairSeries& s, size_t cls, size_t slot) {
  prometheus::Counter* c = s.requests[cls][slot].load(std::memory_order_acquire);
  if (c != nullptr) return *c;
  std::lock_guard lock(tables_mu_);
  c = &requests_.Add({{"party", s.party},
                      {"model", s.model},
                      {"class", kClassNames[cls]},
                      {"status", slot < kStatusSlots.size() ? std::to_string(kStatusSlots[slot])
                                                            : std::string("other")}});
  s.requests[cls][slot].store(c, std::memory_order_release);
  return *c;
}

prometheus::Counter& GatewayMetrics::refusal_counter(PairSeries& s, RefusalSlot slot) {
  const auto i = static_cast<size_t>(slot);
  prometheus::Counter* c = s.refusals[i].load(std::memory_order_acquire);
  if (c != nullptr) return *c;
  std::lock_guard lock(tables_mu_);
  c = &refusals_.Add({{"party", s.party},
                      {"model", s.model},
                      {"limit", kRefusalLabels[i].first},
                      {"scope", kRefusalLabels[i].second}});
  s.refusals[i].store(c, std::memory_order_release);
  return *c;
}

void GatewayMetrics::on_complete(const RequestContext& ctx) {
  const Table& t = table_for(ctx.snapshot->agreement);
  PairSeries& s = t.at(ctx.key != nullptr ? ctx.party : kNone, ctx.model);
  const size_t cls = ctx.model == kNone ? 3 : static_cast<size_t>(ctx.sched_class);
  const int status = ctx.recorded_status();
  request_counter(s, cls, status_slot(status)).Increment();
  if (ctx.prompt_tokens > 0) s.input_tokens->Increment(static_cast<double>(ctx.prompt_tokens));
  if (ctx.completion_tokens > 0) {
    s.output_tokens->Increment(static_cast<double>(ctx.completion_tokens));
  }
  if (ctx.error && ctx.status == 429) {
    if (auto slot = refusal_slot(*ctx.error)) refusal_counter(s, *slot).Increment();
  }
  if (ctx.dispatched_at != 0) s.queue->Observe(seconds_between(ctx.arrived_at, ctx.dispatched_at));
  double weighted = 0;
  if (ctx.pool != kNone) {
    const Pool& pool = ctx.snapshot->agreement->pools[ctx.pool];
    weighted = static_cast<double>(ctx.prompt_tokens) +
               pool.output_weight * static_cast<double>(ctx.completion_tokens);
    if (weighted > 0) t.pool_tokens[ctx.pool]->Increment(weighted);
  }
  if (status != 200 || ctx.error) return;
  const double total = seconds_between(ctx.arrived_at, ctx.finished_at);
  s.total->Observe(total);
  double ttft = -1, tpot = -1;
  if (ctx.first_token_at != 0) {
    ttft = seconds_between(ctx.arrived_at, ctx.first_token_at);
    s.ttft->Observe(ttft);
    if (ctx.completion_tokens >= 2) {
      tpot = seconds_between(ctx.first_token_at, ctx.finished_at) /
             static_cast<double>(ctx.completion_tokens - 1);
      s.tpot->Observe(tpot);
    }
  }
  if (s.has_reservation && ctx.reserved) {
    s.reserved_served_tokens->Increment(weighted);
    s.reserved_requests->Increment();
    const bool ttft_ok = s.ttft_target_s <= 0 || (ttft >= 0 && ttft <= s.ttft_target_s);
    const bool tpot_ok = s.tpot_target_s <= 0 || tpot < 0 || tpot <= s.tpot_target_s;
    if (ttft_ok && tpot_ok) s.reserved_attained->Increment();
  }
}

void GatewayMetrics::refresh_gauges() {
  std::lock_guard lock(scrape_mu_);
  const auto snapshot = store_.current();
  const Agreement& a = *snapshot->agreement;
  // A counter that mirrors a monotonic figure kept elsewhere (reset by a reload: start over).
  auto mirror = [&](prometheus::Counter& c, const std::string& key, int64_t value,
                    double unit = 1) {
    int64_t& last = mirrored_[key];
    if (value > last) c.Increment(static_cast<double>(value - last) * unit);
    last = value;
  };
  for (size_t i = 0; i < a.pools.size(); ++i) {
    const std::string& pool = a.pools[i].name;
    const PoolBackend& backend = *snapshot->pools[i];
    if (backend.scheduler) {
      const SchedulerStats st = backend.scheduler->stats();
      pool_slots_used_.Add({{"pool", pool}}).Set(st.slots_used);
      pool_slots_total_.Add({{"pool", pool}}).Set(st.slots_total);
      pool_queue_.Add({{"pool", pool}, {"class", "reserved"}})
          .Set(static_cast<double>(st.queued_reserved));
      pool_queue_.Add({{"pool", pool}, {"class", "priority"}})
          .Set(static_cast<double>(st.queued_priority));
      pool_queue_.Add({{"pool", pool}, {"class", "shared"}})
          .Set(static_cast<double>(st.queued_shared));
      pool_queue_.Add({{"pool", pool}, {"class", "preemptible"}})
          .Set(static_cast<double>(st.queued_preemptible));
    }
    if (backend.endpoints) {
      for (size_t e = 0; e < backend.endpoints->size(); ++e) {
        const int ei = static_cast<int>(e);
        const std::map<std::string, std::string> labels{
            {"pool", pool}, {"endpoint", backend.endpoints->endpoint(ei).url}};
        endpoint_healthy_.Add(labels).Set(backend.endpoints->healthy(ei) ? 1 : 0);
        endpoint_inflight_.Add(labels).Set(backend.endpoints->inflight(ei));
        mirror(endpoint_failures_.Add(labels), "failures " + pool + " " + labels.at("endpoint"),
               backend.endpoints->failures_total(ei));
      }
    }
  }
  for (const Reservation& r : a.reservations) {
    reservation_rate_.Add({{"party", a.parties[r.party].name}, {"model", a.models[r.model].name}})
        .Set(r.tokens_per_s);
  }
  const UnixMillis now = SystemClock::instance().wall_now();
  for (const auto& [label, budget] : snapshot->limits->budgets()) {
    const auto [scope, name] = split_scope_label(label);
    const std::map<std::string, std::string> labels{{"scope", scope}, {"name", name}};
    budget_limit_.Add(labels).Set(static_cast<double>(budget->limit()) / 1e6);
    budget_spent_.Add(labels).Set(static_cast<double>(budget->spent(now) + budget->held(now)) /
                                  1e6);
  }
  if (loops_ != nullptr) {
    for (int i = 0; i < loops_->size(); ++i) {
      const LoopTimes& t = loops_->times(i);
      const std::string loop = std::to_string(i);
      const int64_t poll = t.poll_ns();
      const int64_t cpu = t.cpu_ns();
      if (cpu == 0) continue;  // not running (yet, or any more)
      // CPU time less polling's wall time can dip while the loop loses its core as it polls:
      // the counter waits until work passes what it showed.
      const std::string work_key = "loop work ns " + loop;
      mirror(loop_work_seconds_.Add({{"loop", loop}}), work_key,
             std::max(cpu - poll, mirrored_[work_key]), 1e-9);
      mirror(loop_poll_seconds_.Add({{"loop", loop}}), "loop poll ns " + loop, poll, 1e-9);
    }
  }
  if (trace_stats_ != nullptr) {
    const auto count = [](const std::atomic<uint64_t>& c) {
      return static_cast<int64_t>(c.load(std::memory_order_relaxed));
    };
    mirror(trace_spans_exported_.Add({}), "trace exported", count(trace_stats_->exported_spans));
    mirror(trace_spans_dropped_.Add({{"reason", "queue_full"}}), "trace dropped queue",
           count(trace_stats_->dropped_queue_full));
    mirror(trace_spans_dropped_.Add({{"reason", "export_failed"}}), "trace dropped export",
           count(trace_stats_->dropped_export_failed));
  }
  if (ledger_ != nullptr) {
    const LedgerStats st = ledger_->stats();
    ledger_queue_.Add({}).Set(static_cast<double>(st.queue_depth));
    ledger_last_commit_.Add({}).Set(st.last_commit_ms / 1000.0);
    ledger_healthy_.Add({}).Set(st.healthy ? 1 : 0);
    mirror(ledger_commits_.Add({}), "ledger commits", static_cast<int64_t>(st.commits));
    mirror(ledger_records_.Add({}), "ledger records", static_cast<int64_t>(st.committed));
    mirror(ledger_failed_commits_.Add({}), "ledger failed",
           static_cast<int64_t>(st.failed_commits));
    mirror(ledger_commit_seconds_.Add({}), "ledger commit us",
           static_cast<int64_t>(st.commit_ms_total * 1000), 1e-6);
  }
}

std::string GatewayMetrics::scrape() {
  refresh_gauges();
  return prometheus::TextSerializer().Serialize(registry_->Collect());
}

}  // namespace accord
