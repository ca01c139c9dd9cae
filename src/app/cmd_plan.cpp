// accord plan: size the pools by simulation, split the fleet between inference and research,
// place the training gangs, and export the split to Kueue. Exit 2 when the agreement does not
// fit the fleet.
#include <fmt/format.h>

#include <filesystem>
#include <fstream>

#include "agreement/loader.h"
#include "app/commands.h"
#include "plan/fleet.h"
#include "plan/planner.h"

namespace accord {

int run_plan(const PlanOptions& options) {
  const LoadResult loaded = load_agreement_file(options.config, {.read_credentials = false});
  if (!loaded.ok()) {
    for (const std::string& line : loaded.messages()) fmt::print(stderr, "{}\n", line);
    return 1;
  }
  auto fleet = load_fleet(options.fleet);
  if (!fleet.ok()) {
    fmt::print(stderr, "{}\n", fleet.error().message);
    return 1;
  }
  const Plan plan = make_plan(*loaded.agreement, fleet.value());
  if (options.format == "json") {
    fmt::print("{}\n", plan_json(plan));
  } else if (options.format == "html") {
    fmt::print("{}", plan_html(plan, fmt::format("accord plan — {}", options.config)));
  } else {
    fmt::print("{}", plan_table(plan));
  }
  if (!options.kueue.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(options.kueue, ec);
    for (const auto& [name, yaml] : kueue_manifests(plan)) {
      const std::string path = (std::filesystem::path(options.kueue) / name).string();
      std::ofstream out(path);
      out << yaml;
      if (!out) {
        fmt::print(stderr, "cannot write {}\n", path);
        return 1;
      }
    }
    fmt::print(stderr, "Kueue manifests written to {}\n", options.kueue);
  }
  return plan.feasible ? 0 : 2;
}

}  // namespace accord
