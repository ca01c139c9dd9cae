// The fleet file of `accord plan`: the GPU inventory by type and topology (nodes of N GPUs that
// share NVLink, racks of nodes), the research training gangs to place, and the headroom policy.
#pragma once

#include <string>
#include <vector>

#include "core/result.h"

namespace accord {

struct GpuGroup {
  std::string type;  // a GPU of the catalogue (h100, a100, ...)
  int nodes = 0;
  int gpus_per_node = 8;  // one NVLink domain per node
  int nodes_per_rack = 4;
  int gpus() const { return nodes * gpus_per_node; }
};

struct TrainingJob {
  std::string name;
  std::string gpu;
  int gpus = 0;      // one gang: all at once or none
  int priority = 0;  // higher first
  double hours = 24;
};

struct Fleet {
  std::vector<GpuGroup> groups;
  std::vector<TrainingJob> training;
  double headroom_percent = 20;  // GPUs above the least that meets every reservation
  double reclaim_s = 30;         // the grace a research pod gets when inference reclaims
  double sim_seconds = 120;      // simulated time per sizing run
  int prompt_tokens = 1000;      // the request shape reservations are sized with
  int output_tokens = 250;
  double attainment = 0.99;  // the share of reserved requests that must meet the SLO
  double daily_low = 0.4;    // the reserved load's daily trough, as a share of its peak
  double peak_hour = 14;     // when the daily peak comes
};

// Errors are FILE: key: message.
Result<Fleet> load_fleet(const std::string& path);

}  // namespace accord
