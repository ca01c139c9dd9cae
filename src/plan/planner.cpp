#include "plan/planner.h"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <map>
#include <numbers>
#include <random>

#include "core/clock.h"
#include "engine/gpu_catalog.h"
#include "sim/simulator.h"

namespace accord {
namespace {

// The reservations' traffic on `pool`: Poisson arrivals of the fleet's request shape, each
// reservation at `scale` × its rate.
std::vector<Arrival> reserved_traffic(const Agreement& a, PoolId pool, const Fleet& f,
                                      double scale) {
  std::vector<Arrival> out;
  const double weighted = f.prompt_tokens + a.pools[pool].output_weight * f.output_tokens;
  uint64_t stream = 0;
  for (const Reservation& r : a.reservations) {
    if (a.models[r.model].pool != pool) continue;
    std::mt19937_64 rng(1234 + stream++);
    std::exponential_distribution<double> gap(scale * r.tokens_per_s / weighted);
    double t = gap(rng);
    while (t < f.sim_seconds) {
      out.push_back(
          {t, r.party, r.model, f.prompt_tokens, f.output_tokens, 0, ServiceTier::kDefault});
      t += gap(rng);
    }
  }
  std::sort(out.begin(), out.end(),
            [](const Arrival& x, const Arrival& y) { return x.time < y.time; });
  return out;
}

struct Trial {
  bool ok = false;
  double utilisation = 0;
  std::string failure;  // the first target it misses, with the figures
};

// Does `pool` on `gpus` GPUs meet every reservation, each scaled to `scale` × its rate (and its
// traffic with it)? Scaling past 1 asks how large the reservations could grow on these GPUs.
Trial try_size(const Agreement& a, PoolId pool, int gpus, const Fleet& f, double scale,
               UnixMillis start) {
  Agreement sized = a;
  sized.pools[pool].gpus = gpus;
  for (Reservation& r : sized.reservations) r.tokens_per_s *= scale;
  const std::vector<Arrival> arrivals = reserved_traffic(a, pool, f, scale);
  SimOptions o;
  o.duration_s = f.sim_seconds;
  o.start = start;
  const SimResult r = simulate(sized, arrivals, o);
  Trial t;
  t.ok = true;
  for (const SimPartyResult& p : r.parties) {
    if (p.requests == 0 || !t.ok) continue;
    if (p.served_weighted < 0.97 * p.demanded_weighted) {
      t.ok = false;
      t.failure = fmt::format("{} is served {:.0f} of its {:.0f} reserved tokens/s", p.party,
                              p.served_tokens_per_s, p.reserved_tokens_per_s);
    } else if (static_cast<double>(p.slo_met) < f.attainment * static_cast<double>(p.requests)) {
      t.ok = false;
      std::string targets;
      if (p.ttft_target_ms) {
        targets += fmt::format("TTFT p99 {:.0f} ms against {:.0f}", p.ttft.p99, *p.ttft_target_ms);
      }
      if (p.tpot_target_ms) {
        targets += fmt::format("{}TPOT p99 {:.1f} ms against {:.1f}", targets.empty() ? "" : ", ",
                               p.tpot.p99, *p.tpot_target_ms);
      }
      t.failure = fmt::format("{} meets its SLO on {:.1f}% of requests, not {:.1f}% ({})", p.party,
                              100 * p.attainment, 100 * f.attainment, targets);
    }
  }
  for (const SimPoolResult& p : r.pools) {
    if (p.pool == a.pools[pool].name) t.utilisation = p.utilisation;
  }
  return t;
}

int inventory_of(const Fleet& f, const std::string& gpu) {
  int n = 0;
  for (const GpuGroup& g : f.groups) {
    if (g.type == gpu) n += g.gpus();
  }
  return n;
}

struct Node {
  std::string name;
  int rack = 0;
  int capacity = 0;
  int free = 0;
};

void place_gangs(const Fleet& f, Plan& plan) {
  // Per GPU type: nodes in rack order; inference takes whole nodes from the front, research the
  // rest.
  std::map<std::string, std::vector<Node>> nodes;
  for (const GpuGroup& g : f.groups) {
    auto& list = nodes[g.type];
    const int base_rack = list.empty() ? 0 : list.back().rack + 1;
    for (int n = 0; n < g.nodes; ++n) {
      list.push_back({fmt::format("{}-n{}", g.type, list.size()), base_rack + n / g.nodes_per_rack,
                      g.gpus_per_node, g.gpus_per_node});
    }
  }
  for (const SplitPlan& s : plan.split) {
    int inference = s.inference;
    for (Node& n : nodes[s.gpu]) {
      const int take = std::min(inference, n.free);
      n.free -= take;
      inference -= take;
    }
  }
  std::vector<TrainingJob> jobs = f.training;
  std::stable_sort(jobs.begin(), jobs.end(), [](const TrainingJob& x, const TrainingJob& y) {
    return x.priority != y.priority ? x.priority > y.priority : x.gpus > y.gpus;
  });
  int placed = 0, single = 0;
  for (const TrainingJob& j : jobs) {
    GangPlacement g{j.name, j.gpu, j.gpus, "", false, false};
    auto& list = nodes[j.gpu];
    // 1. One node (one NVLink domain): the tightest fit.
    Node* best = nullptr;
    for (Node& n : list) {
      if (n.free >= j.gpus && (best == nullptr || n.free < best->free)) best = &n;
    }
    if (best != nullptr) {
      best->free -= j.gpus;
      g = {j.name, j.gpu, j.gpus, "node " + best->name, true, true};
    } else {
      // 2. One rack: the rack with the least free room that still holds it.
      std::map<int, int> rack_free;
      int total_free = 0;
      for (const Node& n : list) rack_free[n.rack] += n.free, total_free += n.free;
      int rack = -1;
      for (const auto& [r, free] : rack_free) {
        if (free >= j.gpus && (rack < 0 || free < rack_free[rack])) rack = r;
      }
      auto take = [&](auto keep) {
        int need = j.gpus;
        std::vector<Node*> order;
        for (Node& n : list) {
          if (keep(n)) order.push_back(&n);
        }
        std::stable_sort(order.begin(), order.end(),
                         [](Node* x, Node* y) { return x->free > y->free; });
        int racks = 0, last_rack = -1;
        for (Node* n : order) {
          if (need == 0) break;
          const int t = std::min(need, n->free);
          if (t == 0) continue;
          n->free -= t;
          need -= t;
          if (n->rack != last_rack) ++racks, last_rack = n->rack;
        }
        return racks;
      };
      if (rack >= 0) {
        take([&](const Node& n) { return n.rack == rack; });
        g = {j.name, j.gpu, j.gpus, fmt::format("rack {}-r{}", j.gpu, rack), true, true};
      } else if (total_free >= j.gpus) {
        const int racks = take([](const Node&) { return true; });
        g = {j.name, j.gpu, j.gpus, fmt::format("spread over {} racks", racks), true, false};
      } else {
        g.where = fmt::format("not placed: {} {} GPUs free for research", total_free, j.gpu);
      }
    }
    if (g.placed) ++placed, single += g.single_domain ? 1 : 0;
    plan.gangs.push_back(g);
  }
  plan.single_domain_fraction = placed == 0 ? 1 : static_cast<double>(single) / placed;
  int free_total = 0, stranded = 0;
  for (const auto& [type, list] : nodes) {
    for (const Node& n : list) {
      free_total += n.free;
      if (n.free > 0 && n.free < n.capacity) stranded += n.free;
    }
  }
  plan.fragmentation = free_total == 0 ? 0 : static_cast<double>(stranded) / free_total;
}

}  // namespace

Plan make_plan(const Agreement& a, const Fleet& f) {
  Plan plan;
  plan.reclaim_s = f.reclaim_s;
  const UnixMillis start = SystemClock::instance().wall_now();
  for (size_t p = 0; p < a.pools.size(); ++p) {
    const Pool& pool = a.pools[p];
    const auto id = static_cast<PoolId>(p);
    PoolPlan pp;
    pp.pool = pool.name;
    pp.gpu = pool.gpu;
    pp.current_gpus = pool.gpus;
    const GpuSpec* spec = find_gpu(pool.gpu);
    pp.tp = pool.tp > 0 ? pool.tp
                        : std::max(1, default_tensor_parallel(*spec, 1024, pool.model_params_b));
    for (const Reservation& r : a.reservations) {
      if (a.models[r.model].pool == id) pp.reserved_tokens_per_s += r.tokens_per_s;
    }
    const int inventory = inventory_of(f, pool.gpu);
    if (pp.reserved_tokens_per_s <= 0) {
      pp.planned_gpus = pool.gpus;
      plan.pools.push_back(pp);
      continue;
    }
    pp.sized = true;
    // The fewest GPUs (a multiple of the tensor-parallel size): double until it holds, then
    // bisect. Beyond the inventory only to say by how much it falls short.
    const int limit = std::max(inventory, pp.tp) * 16;
    int hi = pp.tp;
    Trial last;
    while (hi <= limit && !(last = try_size(a, id, hi, f, 1.0, start)).ok) hi *= 2;
    if (hi > limit) {
      pp.feasible = false;
      plan.feasible = false;
      plan.problems.push_back(fmt::format(
          "pool {}: its reservations ({:.0f} tokens/s) are not met at any size up to {} {} GPUs: "
          "at {}, {}",
          pool.name, pp.reserved_tokens_per_s, hi / 2, pool.gpu, hi / 2, last.failure));
      plan.pools.push_back(pp);
      continue;
    }
    int lo = hi / 2;  // fails (or is below one replica)
    while (hi - lo > pp.tp) {
      const int mid = (lo + hi) / 2 / pp.tp * pp.tp;
      if (mid <= lo) break;
      if (try_size(a, id, mid, f, 1.0, start).ok) {
        hi = mid;
      } else {
        lo = mid;
      }
    }
    pp.min_gpus = hi;
    pp.planned_gpus =
        static_cast<int>(std::ceil(hi * (1 + f.headroom_percent / 100) / pp.tp)) * pp.tp;
    // The load at which it breaks, on the planned GPUs.
    double ok_scale = 1, bad_scale = 8;
    if (try_size(a, id, pp.planned_gpus, f, bad_scale, start).ok) {
      ok_scale = bad_scale;
    } else {
      for (int i = 0; i < 6; ++i) {
        const double mid = (ok_scale + bad_scale) / 2;
        (try_size(a, id, pp.planned_gpus, f, mid, start).ok ? ok_scale : bad_scale) = mid;
      }
    }
    pp.breaking_tokens_per_s = ok_scale * pp.reserved_tokens_per_s;
    pp.utilisation = try_size(a, id, pp.planned_gpus, f, 1.0, start).utilisation;
    plan.pools.push_back(pp);
  }
  // The split per GPU type.
  std::map<std::string, SplitPlan> split;
  for (const GpuGroup& g : f.groups) {
    split[g.type].gpu = g.type;
    split[g.type].inventory += g.gpus();
  }
  for (const PoolPlan& pp : plan.pools) {
    SplitPlan& s = split[pp.gpu];
    s.gpu = pp.gpu;
    s.inference += pp.planned_gpus;
    s.inference_min += pp.sized ? pp.min_gpus : pp.planned_gpus;
  }
  // A day of inference demand, hour by hour: the reserved load follows a daily cycle between
  // sizing.daily_low and 1; a pool needs the share of its planned GPUs that load takes of the
  // load at which it breaks (from the simulation), never less than its minimum scaled likewise.
  std::map<std::string, std::array<double, 24>> needed;
  for (const PoolPlan& pp : plan.pools) {
    auto& day = needed[pp.gpu];
    for (int h = 0; h < 24; ++h) {
      const double load =
          f.daily_low + (1 - f.daily_low) *
                            (1 + std::cos(2 * std::numbers::pi * (h + 0.5 - f.peak_hour) / 24)) / 2;
      double gpus = pp.planned_gpus;
      if (pp.sized && pp.feasible && pp.breaking_tokens_per_s > 0) {
        gpus =
            std::max(pp.planned_gpus * load * pp.reserved_tokens_per_s / pp.breaking_tokens_per_s,
                     pp.min_gpus * load);
        gpus = std::min<double>(pp.planned_gpus, std::ceil(gpus / pp.tp) * pp.tp);
      }
      day[static_cast<size_t>(h)] += gpus;
    }
  }
  for (auto& [type, s] : split) {
    if (s.inference_min > s.inventory) {
      plan.feasible = false;
      plan.problems.push_back(
          fmt::format("{}: the reservations need at least {} GPUs, the fleet has {} (short by {})",
                      type, s.inference_min, s.inventory, s.inference_min - s.inventory));
    } else if (s.inference > s.inventory) {
      plan.problems.push_back(fmt::format(
          "{}: the headroom does not fit: inference gets {} of the {} GPUs it would plan", type,
          s.inventory, s.inference));
      s.inference = s.inventory;
    }
    s.inference = std::min(s.inference, s.inventory);
    s.inference_min = std::min(s.inference_min, s.inference);
    s.research = s.inventory - s.inference;
    s.research_may_borrow = s.inference - s.inference_min;
    s.inference_gpu_hours_guaranteed = 24.0 * s.inference;
    s.research_gpu_hours_guaranteed = 24.0 * s.research;
    std::array<double, 24> lent{};
    for (size_t h = 0; h < 24; ++h) {
      const double used = std::min<double>(s.inference, needed[type][h]);
      lent[h] = std::clamp<double>(s.inference - used, 0, s.research_may_borrow);
      s.inference_gpu_hours_used += used;
      s.research_gpu_hours_delivered += s.research + lent[h];
    }
    for (size_t h = 0; h < 24; ++h) {
      if (lent[h] < lent[(h + 23) % 24]) ++s.reclaims_per_day;
    }
    plan.split.push_back(s);
  }
  place_gangs(f, plan);
  return plan;
}

}  // namespace accord
