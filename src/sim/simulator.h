// The fleet simulator: the gateway's own pool schedulers (src/sched) and limits (src/policy)
// driving the built-in engine's replica model of each pool, on virtual time. It jumps from event
// to event (an arrival, a scheduler deadline, a replica's first token or finish), so it never
// sleeps, needs no threads, and runs the exact production policy as a what-if.
#pragma once

#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "agreement/agreement.h"
#include "sim/traffic.h"

namespace accord {

struct SimOptions {
  bool fcfs = false;
  double duration_s = 0;  // stop arrivals after this (0: the last arrival); in flight then finish
  UnixMillis start = 0;   // the simulated wall time of t = 0 (budgets, availability)
  double bucket_s = 0;    // time-series resolution (0: about 120 points)
  // Called now and then with the fraction done (for a progress bar).
  std::function<void(double)> progress;
};

struct Percentiles {
  int64_t count = 0;
  double p50 = 0, p90 = 0, p99 = 0;  // milliseconds
};

struct SimPartyResult {
  std::string party, model;  // model: the one it called most
  std::string role;
  bool shared = true;  // no reservation: competes for shared capacity
  int64_t requests = 0, served = 0, refused_limit = 0, refused_capacity = 0, preempted = 0;
  int64_t fell_back = 0;  // moved to a fallback pool of the model (served there, or refused)
  double demanded_weighted = 0, served_weighted = 0;
  double served_tokens_per_s = 0, reserved_tokens_per_s = 0;
  std::optional<double> ttft_target_ms, tpot_target_ms;
  int64_t slo_met = 0;  // served within every target it has
  double attainment = 1;
  Percentiles ttft, tpot;
};

struct SimPoolResult {
  std::string pool;
  int replicas = 0, slots = 0;
  int64_t served = 0, slo_met = 0;
  double utilisation = 0;              // mean fraction of batch slots busy
  double goodput_rps = 0;              // requests per second that met their SLO (DistServe)
  double throughput_tokens_per_s = 0;  // output tokens
  int64_t max_queue = 0;
};

struct SimSeries {
  double bucket_s = 1;
  std::vector<std::string> parties;         // columns of served
  std::vector<std::vector<double>> served;  // [bucket][party] weighted tokens/s
  std::vector<double> reserved;             // [party] reserved tokens/s (0: none)
  std::vector<std::string> pools;
  std::vector<std::vector<double>> queue;  // [bucket][pool] mean queue depth
  std::vector<double> ttft_p99_ms;         // [bucket], all parties
};

struct SimResult {
  double simulated_s = 0;  // virtual time covered
  double wall_s = 0;       // real time it took
  int64_t requests = 0;
  std::string scheduler;
  std::vector<SimPartyResult> parties;
  std::vector<SimPoolResult> pools;
  double jain_shared = 1;  // Jain's index of served/weight over backlogged shared parties
  SimSeries series;
};

SimResult simulate(const Agreement& agreement, const std::vector<Arrival>& arrivals,
                   const SimOptions& options);

}  // namespace accord
