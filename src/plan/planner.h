// accord plan: sizes each pool by simulation (the fewest GPUs meeting every reservation's rate
// and SLO, binary search on the GPU count), adds the headroom, splits each GPU type between
// commercial inference and research (guaranteed quotas, what research may borrow and how fast
// inference reclaims it), places the research training gangs in NVLink domains and racks, and
// writes the split as Kueue manifests.
#pragma once

#include <string>
#include <utility>
#include <vector>

#include "agreement/agreement.h"
#include "plan/fleet.h"

namespace accord {

struct PoolPlan {
  std::string pool, gpu;
  int tp = 1;
  int current_gpus = 0;
  int min_gpus = 0;      // the fewest that meet every reservation (0: no reservation)
  int planned_gpus = 0;  // with the headroom
  double reserved_tokens_per_s = 0;
  double breaking_tokens_per_s = 0;  // the reserved load at which attainment breaks
  double utilisation = 0;            // at the reserved load, on the planned GPUs
  bool sized = false;                // false: no reservation, keeps its GPUs
  bool feasible = true;              // the fleet has enough of its GPU
};

struct SplitPlan {
  std::string gpu;
  int inventory = 0;
  int inference = 0;            // guaranteed to commercial inference
  int inference_min = 0;        // never lent
  int research = 0;             // guaranteed to research
  int research_may_borrow = 0;  // inference's lendable headroom
  double inference_gpu_hours_guaranteed = 0, inference_gpu_hours_used = 0;  // per day
  double research_gpu_hours_guaranteed = 0, research_gpu_hours_delivered = 0;
  int reclaims_per_day = 0;  // hours in which inference takes lent GPUs back
};

struct GangPlacement {
  std::string job, gpu;
  int gpus = 0;
  std::string where;  // "node h100-n3", "rack h100-r1", "3 racks", "not placed: …"
  bool placed = false, single_domain = false;
};

struct Plan {
  std::vector<PoolPlan> pools;
  std::vector<SplitPlan> split;
  std::vector<GangPlacement> gangs;
  double single_domain_fraction = 1;  // of the placed gangs
  double fragmentation = 0;           // free research GPUs stranded in partly used nodes
  double reclaim_s = 0;
  bool feasible = true;
  std::vector<std::string> problems;  // why not, with by how much
};

Plan make_plan(const Agreement& agreement, const Fleet& fleet);

std::string plan_table(const Plan& plan);
std::string plan_json(const Plan& plan);
std::string plan_html(const Plan& plan, const std::string& title);
// Kueue v1beta1 manifests: (file name, YAML).
std::vector<std::pair<std::string, std::string>> kueue_manifests(const Plan& plan);

}  // namespace accord
