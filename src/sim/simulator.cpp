#include "sim/simulator.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <limits>
#include <map>
#include <queue>

#include "agreement/pricing.h"
#include "engine/replica_model.h"
#include "policy/entitle.h"
#include "policy/limiter.h"
#include "policy/request_terms.h"
#include "sched/pool_config.h"
#include "sched/pool_scheduler.h"

namespace accord {
namespace {

constexpr uint32_t kNoRequest = UINT32_MAX;
constexpr int kLatencyBins = 96;  // log-spaced, 0.1 ms .. 10^6 ms

MonoNanos to_ns(double s) {
  return static_cast<MonoNanos>(std::llround(s * 1e9));
}

int latency_bin(double ms) {
  if (ms <= 0.1) return 0;
  const int b = static_cast<int>(std::log10(ms / 0.1) * (kLatencyBins / 7.0));
  return std::min(b, kLatencyBins - 1);
}
double bin_upper_ms(int b) {
  return 0.1 * std::pow(10.0, (b + 1) * 7.0 / kLatencyBins);
}

Percentiles percentiles(std::vector<float>& v) {
  Percentiles p;
  p.count = static_cast<int64_t>(v.size());
  if (v.empty()) return p;
  auto at = [&](double q) {
    const size_t k =
        std::min(v.size() - 1, static_cast<size_t>(std::ceil(q * static_cast<double>(v.size()))) -
                                   (q > 0 ? 1 : 0));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return static_cast<double>(v[k]);
  };
  p.p50 = at(0.5);
  p.p90 = at(0.9);
  p.p99 = at(0.99);
  return p;
}

class SimTicket final : public Ticket {
 public:
  SimTicket(std::vector<uint32_t>* changed, uint32_t request)
      : changed_(changed), request_(request) {}
  void notify() override { changed_->push_back(request_); }

 private:
  std::vector<uint32_t>* changed_;
  uint32_t request_;
};

struct Request {
  std::shared_ptr<SimTicket> ticket;
  LimitLease lease;
  double arrival = 0;
  double first_token = -1;
  SeqId seq = 0;
  int replica = -1;
  bool running = false;
  uint32_t arrival_index = 0;
  // The pool it runs on: its model's, or a fallback's once that pool refused it.
  PoolId pool = kNone;
  size_t fallbacks_tried = 0;
  bool within_reservation = false;  // as its own pool classed it
  ServedTier served;
  int64_t max_output = 0;
};

struct PoolSim {
  PoolId id = kNone;
  bool builtin = true;
  double output_weight = 3;
  std::unique_ptr<PoolScheduler> scheduler;
  std::vector<ReplicaModel> replicas;
  std::vector<uint64_t> replica_version;
  // Per replica: sequence slot → (request, sequence id).
  std::vector<std::vector<std::pair<uint32_t, SeqId>>> owner;
  double busy_slot_seconds = 0;
  int slots = 0;
  double slots_sum = 0;  // the effective limit, sampled with the series
  int64_t slots_samples = 0;
  int64_t max_queue = 0;
  int64_t served = 0, slo_met = 0, output_tokens = 0;
};

struct PartyStats {
  int64_t requests = 0, served = 0, refused_limit = 0, refused_capacity = 0, preempted = 0;
  int64_t fell_back = 0;  // requests another pool of their chain served (or tried to)
  int64_t slo_met = 0;
  double demanded = 0, served_weighted = 0;
  std::vector<float> ttft_ms, tpot_ms;
  std::map<ModelId, int64_t> by_model;
};

struct HeapEntry {
  double time;
  uint32_t pool;
  uint32_t replica;
  uint64_t version;
  bool operator>(const HeapEntry& o) const { return time > o.time; }
};

class Simulation {
 public:
  Simulation(const Agreement& a, const std::vector<Arrival>& arrivals, const SimOptions& o)
      : a_(a), arrivals_(arrivals), o_(o), limits_(a, nullptr), parties_(a.parties.size()) {
    for (size_t p = 0; p < a.pools.size(); ++p) {
      const Pool& pool = a.pools[p];
      PoolSim ps;
      ps.id = static_cast<PoolId>(p);
      ps.builtin = pool.engine == PoolEngine::kBuiltin;
      ps.output_weight = pool.output_weight;
      ps.scheduler = std::make_unique<PoolScheduler>(scheduler_config(a, ps.id, o.fcfs));
      const ReplicaParams params = replica_params_for(pool);
      const int n = replicas_for(pool);
      for (int r = 0; r < n; ++r) ps.replicas.emplace_back(params);
      ps.replica_version.assign(static_cast<size_t>(n), 0);
      ps.owner.resize(static_cast<size_t>(n));
      ps.slots = ps.scheduler->stats().slots_total;
      pools_.push_back(std::move(ps));
    }
    end_ = o.duration_s > 0 ? o.duration_s : (arrivals.empty() ? 0 : arrivals.back().time);
    if (end_ <= 0) end_ = 1;
    bucket_s_ = o.bucket_s > 0 ? o.bucket_s : std::max(1.0, std::ceil(end_ / 120));
    buckets_ = static_cast<size_t>(std::ceil(end_ / bucket_s_)) + 1;
    served_series_.assign(buckets_, std::vector<double>(a.parties.size(), 0));
    queue_series_.assign(buckets_, std::vector<double>(a.pools.size(), 0));
    ttft_hist_.assign(buckets_, std::vector<int64_t>(kLatencyBins, 0));
  }

  SimResult run();

 private:
  double wall_ms(double t) const { return static_cast<double>(o_.start) + t * 1000; }
  void arrive(uint32_t index, double t);
  void submit(uint32_t r, const ServedTier& served, int64_t max_output, double t);
  bool fall_back(uint32_t r, double t);
  void start(uint32_t r, double t);
  void finish(uint32_t r, double t);
  void stop_running(uint32_t r, double t);
  void drop(uint32_t r) {
    requests_[r].ticket.reset();
    requests_[r].lease = LimitLease();
    free_.push_back(r);
  }
  void process_changes(double t);
  void touch(PoolSim& ps, size_t replica);
  void sample_until(double t);
  void account_busy(double t);
  PoolSim& pool_of(uint32_t r) { return pools_[requests_[r].pool]; }

  const Agreement& a_;
  const std::vector<Arrival>& arrivals_;
  SimOptions o_;
  LimitState limits_;
  std::vector<PoolSim> pools_;
  std::vector<PartyStats> parties_;
  std::vector<Request> requests_;
  std::vector<uint32_t> free_;
  std::vector<uint32_t> changed_;
  std::vector<EngineEvent> events_;
  std::priority_queue<HeapEntry, std::vector<HeapEntry>, std::greater<>> heap_;
  double end_ = 0, bucket_s_ = 1, last_t_ = 0;
  size_t buckets_ = 1, sampled_ = 0;
  std::vector<std::vector<double>> served_series_, queue_series_;
  std::vector<std::vector<int64_t>> ttft_hist_;
};

void Simulation::touch(PoolSim& ps, size_t replica) {
  const uint64_t v = ++ps.replica_version[replica];
  const double next = ps.replicas[replica].next_event_time();
  if (next != ReplicaModel::kNever) {
    heap_.push({next, static_cast<uint32_t>(ps.id), static_cast<uint32_t>(replica), v});
  }
}

void Simulation::arrive(uint32_t index, double t) {
  const Arrival& in = arrivals_[index];
  PartyStats& ps = parties_[in.party];
  ++ps.requests;
  ++ps.by_model[in.model];
  const Pool& pool = a_.pools[a_.models[in.model].pool];
  const double weighted = in.prompt_tokens + pool.output_weight * in.output_tokens;
  ps.demanded += weighted;
  const auto wall = static_cast<UnixMillis>(wall_ms(t));
  if (entitlement(a_, in.party, in.model, wall) != Entitlement::kAllowed) {
    ++ps.refused_limit;
    return;
  }
  // The same policy as the gateway's: the tier, the most it may produce, the limits' upper bounds.
  const ServedTier served = served_tier(a_, in.party, in.service_tier);
  const int64_t max_output = max_output_tokens(
      a_.models[in.model], in.max_tokens > 0 ? std::optional<int64_t>(in.max_tokens) : std::nullopt,
      in.prompt_tokens);
  LimitRequest lr =
      limit_request(a_, in.party, in.model, served.billed, in.prompt_tokens, max_output);
  lr.key_index = SIZE_MAX;  // traffic is by party: the key scope does not apply
  lr.now = to_ns(t);
  lr.wall_now = wall;
  auto lease = admit_limits(limits_, lr, nullptr);
  if (!lease.ok()) {
    ++ps.refused_limit;
    return;
  }
  uint32_t r;
  if (!free_.empty()) {
    r = free_.back();
    free_.pop_back();
  } else {
    r = static_cast<uint32_t>(requests_.size());
    requests_.emplace_back();
  }
  Request& req = requests_[r];
  req.lease = std::move(lease.value());
  req.arrival = t;
  req.first_token = -1;
  req.running = false;
  req.replica = -1;
  req.arrival_index = index;
  req.pool = a_.models[in.model].pool;
  req.fallbacks_tried = 0;
  submit(r, served, max_output, t);
}

void Simulation::submit(uint32_t r, const ServedTier& served, int64_t max_output, double t) {
  Request& req = requests_[r];
  const Arrival& in = arrivals_[req.arrival_index];
  req.served = served;
  req.max_output = max_output;
  req.ticket = std::make_shared<SimTicket>(&changed_, r);
  describe_ticket(*req.ticket, a_, in.party, in.model, served, in.prompt_tokens, max_output, 1);
  pools_[req.pool].scheduler->submit(req.ticket, to_ns(t));
  changed_.push_back(r);  // the submitter reads its own state
}

// A request its pool refused for capacity: the next pool of its chain, as the gateway does.
bool Simulation::fall_back(uint32_t r, double t) {
  Request& req = requests_[r];
  const Arrival& in = arrivals_[req.arrival_index];
  const std::vector<PoolId> chain = fallback_pools(a_, in.party, in.model, req.within_reservation);
  if (req.fallbacks_tried >= chain.size()) return false;
  pools_[req.pool].scheduler->finish(*req.ticket, 0, to_ns(t), -1);
  req.pool = chain[req.fallbacks_tried++];
  ++parties_[in.party].fell_back;
  submit(r, req.served, req.max_output, t);
  return true;
}

void Simulation::start(uint32_t r, double t) {
  Request& req = requests_[r];
  const Arrival& in = arrivals_[req.arrival_index];
  PoolSim& ps = pool_of(r);
  size_t replica = 0;
  if (ps.builtin) {
    replica = static_cast<size_t>(std::max(0, req.ticket->lane));
  } else {  // an upstream pool, modelled as replicas of its GPUs: the least busy
    for (size_t i = 1; i < ps.replicas.size(); ++i) {
      if (ps.replicas[i].running() + ps.replicas[i].waiting() <
          ps.replicas[replica].running() + ps.replicas[replica].waiting()) {
        replica = i;
      }
    }
  }
  ReplicaModel& model = ps.replicas[replica];
  if (model.time() < t) model.advance(t, events_);  // (nothing due: events come off the heap)
  req.seq = model.submit(std::max(t, model.time()), in.prompt_tokens, in.output_tokens);
  req.replica = static_cast<int>(replica);
  req.running = true;
  auto& owner = ps.owner[replica];
  const auto slot = static_cast<size_t>(req.seq & 0xffffffffu);
  if (owner.size() <= slot) owner.resize(slot + 1, {kNoRequest, 0});
  owner[slot] = {r, req.seq};
  touch(ps, replica);
}

void Simulation::stop_running(uint32_t r, double t) {
  Request& req = requests_[r];
  if (!req.running) return;
  PoolSim& ps = pool_of(r);
  ReplicaModel& model = ps.replicas[static_cast<size_t>(req.replica)];
  model.cancel(req.seq, std::max(t, model.time()));
  model.release(req.seq);
  ps.owner[static_cast<size_t>(req.replica)][req.seq & 0xffffffffu] = {kNoRequest, 0};
  req.running = false;
  touch(ps, static_cast<size_t>(req.replica));
}

void Simulation::finish(uint32_t r, double t) {
  Request& req = requests_[r];
  const Arrival& in = arrivals_[req.arrival_index];
  PoolSim& ps = pool_of(r);
  PartyStats& st = parties_[in.party];
  const double weighted = in.prompt_tokens + ps.output_weight * in.output_tokens;
  if (!ps.builtin) {  // an upstream pool's adaptive limit learns from its latency, as served
    ps.scheduler->on_upstream_sample(
        measure_upstream(req.ticket->started_at, req.first_token >= 0 ? to_ns(req.first_token) : 0,
                         to_ns(t), in.output_tokens, /*streamed=*/true),
        to_ns(t));
  }
  ps.scheduler->finish(*req.ticket, weighted, to_ns(t), in.output_tokens);
  const BilledTier billed = req.ticket->priority ? BilledTier::kPriority
                            : req.ticket->flex   ? BilledTier::kFlex
                                                 : BilledTier::kDefault;
  req.lease.complete(in.prompt_tokens + in.output_tokens,
                     cost_micro_usd(price_terms(a_, in.party, in.model, billed, req.pool),
                                    in.prompt_tokens, in.output_tokens),
                     to_ns(t), static_cast<UnixMillis>(wall_ms(t)));
  ReplicaModel& model = ps.replicas[static_cast<size_t>(req.replica)];
  model.release(req.seq);
  ps.owner[static_cast<size_t>(req.replica)][req.seq & 0xffffffffu] = {kNoRequest, 0};
  req.running = false;
  ++st.served;
  ++ps.served;
  ps.output_tokens += in.output_tokens;
  st.served_weighted += weighted;
  const double first = req.first_token >= 0 ? req.first_token : t;
  const double ttft_ms = (first - req.arrival) * 1000;
  st.ttft_ms.push_back(static_cast<float>(ttft_ms));
  double tpot_ms = -1;
  if (in.output_tokens >= 2) {
    tpot_ms = (t - first) * 1000 / (in.output_tokens - 1);
    st.tpot_ms.push_back(static_cast<float>(tpot_ms));
  }
  // Its SLO: the reservation's on this model, if the party has one; else the pool's.
  const Slo* slo = &a_.pools[ps.id].slo;
  for (const Reservation& res : a_.reservations) {
    if (res.party == in.party && res.model == in.model) slo = &res.slo;
  }
  bool met = true;
  if (slo->ttft_p99_ms && ttft_ms > *slo->ttft_p99_ms) met = false;
  if (slo->tpot_p99_ms && tpot_ms > *slo->tpot_p99_ms) met = false;
  if (met) ++st.slo_met, ++ps.slo_met;
  const auto b = std::min(buckets_ - 1, static_cast<size_t>(t / bucket_s_));
  served_series_[b][in.party] += weighted;
  ++ttft_hist_[std::min(buckets_ - 1, static_cast<size_t>(first / bucket_s_))]
              [latency_bin(ttft_ms)];
  drop(r);
}

void Simulation::process_changes(double t) {
  std::vector<uint32_t> batch;
  while (!changed_.empty()) {
    batch.swap(changed_);
    for (uint32_t r : batch) {
      Request& req = requests_[r];
      if (!req.ticket) continue;  // already settled
      const Arrival& in = arrivals_[req.arrival_index];
      switch (req.ticket->state) {
        case Ticket::State::kRunning:
          if (!req.running) start(r, t);
          break;
        case Ticket::State::kQueued:
          if (req.running) stop_running(r, t);  // put back in the queue (flex, not yet started)
          break;
        case Ticket::State::kRefused:
          if (req.fallbacks_tried == 0)
            req.within_reservation = req.ticket->cls == SchedClass::kReserved;
          if (fall_back(r, t)) break;
          ++parties_[in.party].refused_capacity;
          drop(r);
          break;
        case Ticket::State::kPreempted:
          stop_running(r, t);
          ++parties_[in.party].preempted;
          drop(r);
          break;
        default:
          break;
      }
    }
    batch.clear();
  }
}

void Simulation::sample_until(double t) {
  while (sampled_ < buckets_ && static_cast<double>(sampled_) * bucket_s_ <= t) {
    for (size_t p = 0; p < pools_.size(); ++p) {
      const SchedulerStats st = pools_[p].scheduler->stats();
      const auto q = static_cast<int64_t>(st.queued_reserved + st.queued_priority +
                                          st.queued_shared + st.queued_preemptible);
      queue_series_[sampled_][p] = static_cast<double>(q);
      pools_[p].max_queue = std::max(pools_[p].max_queue, q);
      pools_[p].slots_sum += st.slots_total;
      ++pools_[p].slots_samples;
    }
    ++sampled_;
  }
}

void Simulation::account_busy(double t) {
  if (t <= last_t_) return;
  for (PoolSim& ps : pools_) {
    int running = 0;
    for (const ReplicaModel& m : ps.replicas) running += m.running();
    ps.busy_slot_seconds += running * (t - last_t_);
  }
  last_t_ = t;
}

SimResult Simulation::run() {
  const auto wall_start = std::chrono::steady_clock::now();
  size_t next = 0;
  const size_t n = arrivals_.size();
  double t = 0;
  for (;;) {
    double t_arrival = std::numeric_limits<double>::infinity();
    while (next < n && arrivals_[next].time > end_ && o_.duration_s > 0) next = n;  // past the end
    if (next < n) t_arrival = arrivals_[next].time;
    while (!heap_.empty() &&
           heap_.top().version != pools_[heap_.top().pool].replica_version[heap_.top().replica]) {
      heap_.pop();
    }
    const double t_replica =
        heap_.empty() ? std::numeric_limits<double>::infinity() : heap_.top().time;
    double t_sched = std::numeric_limits<double>::infinity();
    for (PoolSim& ps : pools_) {
      const MonoNanos w = ps.scheduler->next_wakeup(to_ns(t));
      if (w < PoolScheduler::kNever) t_sched = std::min(t_sched, static_cast<double>(w) / 1e9);
    }
    const double tn = std::min({t_arrival, t_replica, t_sched});
    if (!std::isfinite(tn)) break;
    t = std::max(t, tn);
    sample_until(t);
    account_busy(t);
    if (t_replica <= tn) {
      const HeapEntry e = heap_.top();
      heap_.pop();
      PoolSim& ps = pools_[e.pool];
      ReplicaModel& model = ps.replicas[e.replica];
      events_.clear();
      model.advance(t, events_);
      for (const EngineEvent& ev : events_) {
        const auto slot = static_cast<size_t>(ev.seq & 0xffffffffu);
        auto& owner = ps.owner[e.replica];
        if (slot >= owner.size() || owner[slot].first == kNoRequest ||
            owner[slot].second != ev.seq) {
          continue;
        }
        const uint32_t r = owner[slot].first;
        if (ev.type == EngineEvent::Type::kFirstToken) {
          requests_[r].first_token = ev.time;
          requests_[r].ticket->output_started.store(true, std::memory_order_relaxed);
        } else {
          finish(r, ev.time);
        }
      }
      touch(ps, e.replica);
    } else if (t_sched <= tn) {
      for (PoolSim& ps : pools_) ps.scheduler->on_time(to_ns(t));
    } else {
      arrive(static_cast<uint32_t>(next++), t);
      if (o_.progress && (next & 0xffff) == 0)
        o_.progress(static_cast<double>(next) / static_cast<double>(n));
    }
    process_changes(t);
  }
  sample_until(end_);

  SimResult out;
  out.simulated_s = std::max(t, end_);
  out.requests = static_cast<int64_t>(std::min(next, n));
  out.scheduler = o_.fcfs ? "fcfs" : "accord";
  std::vector<double> jain_x;
  for (size_t p = 0; p < parties_.size(); ++p) {
    PartyStats& st = parties_[p];
    if (st.requests == 0) continue;
    SimPartyResult r;
    r.party = a_.parties[p].name;
    r.role = to_string(a_.parties[p].role);
    const ModelId model =
        std::max_element(st.by_model.begin(), st.by_model.end(), [](const auto& x, const auto& y) {
          return x.second < y.second;
        })->first;
    r.model = a_.models[model].name;
    for (const Reservation& res : a_.reservations) {
      if (res.party != static_cast<PartyId>(p) || res.model != model) continue;
      r.shared = false;
      r.reserved_tokens_per_s = res.tokens_per_s;
      r.ttft_target_ms = res.slo.ttft_p99_ms;
      r.tpot_target_ms = res.slo.tpot_p99_ms;
    }
    const Tier* tier = a_.tier_of(static_cast<PartyId>(p));
    if (tier != nullptr && tier->preemptible) r.shared = false;
    r.requests = st.requests;
    r.served = st.served;
    r.refused_limit = st.refused_limit;
    r.refused_capacity = st.refused_capacity;
    r.fell_back = st.fell_back;
    r.preempted = st.preempted;
    r.demanded_weighted = st.demanded;
    r.served_weighted = st.served_weighted;
    r.served_tokens_per_s = st.served_weighted / end_;
    r.slo_met = st.slo_met;
    r.attainment =
        st.served == 0 ? 0 : static_cast<double>(st.slo_met) / static_cast<double>(st.requests);
    r.ttft = percentiles(st.ttft_ms);
    r.tpot = percentiles(st.tpot_ms);
    const bool backlogged = st.refused_capacity > 0 || st.served_weighted < 0.95 * st.demanded;
    if (r.shared && backlogged) {
      jain_x.push_back(st.served_weighted / (tier != nullptr ? tier->weight : 1.0));
    }
    out.parties.push_back(std::move(r));
  }
  if (jain_x.size() >= 2) {
    double sum = 0, sq = 0;
    for (double x : jain_x) sum += x, sq += x * x;
    out.jain_shared = sq > 0 ? sum * sum / (static_cast<double>(jain_x.size()) * sq) : 1;
  }
  for (PoolSim& ps : pools_) {
    SimPoolResult r;
    r.pool = a_.pools[ps.id].name;
    r.replicas = static_cast<int>(ps.replicas.size());
    // The effective limit moves with the request mix (latency targets, adaptive limit): its mean.
    const double slots = ps.slots_samples > 0 ? ps.slots_sum / static_cast<double>(ps.slots_samples)
                                              : static_cast<double>(ps.slots);
    r.slots = static_cast<int>(std::lround(slots));
    r.served = ps.served;
    r.slo_met = ps.slo_met;
    r.utilisation =
        slots > 0 && out.simulated_s > 0 ? ps.busy_slot_seconds / (slots * out.simulated_s) : 0;
    r.goodput_rps = static_cast<double>(ps.slo_met) / out.simulated_s;
    r.throughput_tokens_per_s = static_cast<double>(ps.output_tokens) / out.simulated_s;
    r.max_queue = ps.max_queue;
    out.pools.push_back(r);
  }
  SimSeries& s = out.series;
  s.bucket_s = bucket_s_;
  std::vector<size_t> shown;
  for (size_t p = 0; p < parties_.size(); ++p) {
    if (parties_[p].requests == 0) continue;
    shown.push_back(p);
    s.parties.push_back(a_.parties[p].name);
    double reserved = 0;
    for (const Reservation& res : a_.reservations) {
      if (res.party == static_cast<PartyId>(p)) reserved += res.tokens_per_s;
    }
    s.reserved.push_back(reserved);
  }
  for (const PoolSim& ps : pools_) s.pools.push_back(a_.pools[ps.id].name);
  const size_t shown_buckets = std::min(buckets_, static_cast<size_t>(std::ceil(end_ / bucket_s_)));
  s.served.reserve(shown_buckets);
  s.queue.reserve(shown_buckets);
  s.ttft_p99_ms.reserve(shown_buckets);
  for (size_t b = 0; b < shown_buckets; ++b) {
    std::vector<double> row;
    row.reserve(shown.size());
    for (size_t p : shown) row.push_back(served_series_[b][p] / bucket_s_);
    s.served.push_back(std::move(row));
    s.queue.push_back(queue_series_[b]);
    int64_t total = 0;
    for (int64_t c : ttft_hist_[b]) total += c;
    double p99 = 0;
    if (total > 0) {
      const auto rank = static_cast<int64_t>(std::ceil(0.99 * static_cast<double>(total)));
      int64_t seen = 0;
      for (int i = 0; i < kLatencyBins; ++i) {
        seen += ttft_hist_[b][static_cast<size_t>(i)];
        if (seen >= rank) {
          p99 = bin_upper_ms(i);
          break;
        }
      }
    }
    s.ttft_p99_ms.push_back(p99);
  }
  out.wall_s = std::chrono::duration<double>(std::chrono::steady_clock::now() - wall_start).count();
  return out;
}

}  // namespace

SimResult simulate(const Agreement& agreement, const std::vector<Arrival>& arrivals,
                   const SimOptions& options) {
  Simulation sim(agreement, arrivals, options);
  return sim.run();
}

}  // namespace accord
