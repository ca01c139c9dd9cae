#include "plan/fleet.h"

#include <fmt/format.h>
#include <yaml-cpp/yaml.h>

#include "engine/gpu_catalog.h"

namespace accord {

Result<Fleet> load_fleet(const std::string& path) {
  auto fail = [&](const std::string& m) {
    return Error::client(ErrorKind::kInvalidRequest, fmt::format("{}: {}", path, m));
  };
  Fleet f;
  try {
    const YAML::Node root = YAML::LoadFile(path);
    if (!root["gpus"] || !root["gpus"].IsSequence())
      return fail("gpus: a list of GPU groups is required");
    for (size_t i = 0; i < root["gpus"].size(); ++i) {
      const YAML::Node& g = root["gpus"][i];
      const std::string where = fmt::format("gpus[{}]", i);
      GpuGroup group;
      group.type = g["type"].as<std::string>("");
      if (find_gpu(group.type) == nullptr)
        return fail(fmt::format("{}.type: unknown GPU '{}'", where, group.type));
      group.nodes = g["nodes"].as<int>(0);
      group.gpus_per_node = g["gpus_per_node"].as<int>(8);
      group.nodes_per_rack = g["nodes_per_rack"].as<int>(4);
      if (group.nodes <= 0 || group.gpus_per_node <= 0 || group.nodes_per_rack <= 0) {
        return fail(fmt::format("{}: nodes, gpus_per_node and nodes_per_rack must be > 0", where));
      }
      f.groups.push_back(group);
    }
    if (const YAML::Node& t = root["training"]) {
      for (size_t i = 0; i < t.size(); ++i) {
        const std::string where = fmt::format("training[{}]", i);
        TrainingJob j;
        j.name = t[i]["name"].as<std::string>(where);
        j.gpu = t[i]["gpu"].as<std::string>("");
        j.gpus = t[i]["gpus"].as<int>(0);
        j.priority = t[i]["priority"].as<int>(0);
        j.hours = t[i]["hours"].as<double>(24);
        if (j.gpus <= 0) return fail(fmt::format("{}.gpus must be > 0", where));
        if (find_gpu(j.gpu) == nullptr)
          return fail(fmt::format("{}.gpu: unknown GPU '{}'", where, j.gpu));
        f.training.push_back(j);
      }
    }
    if (const YAML::Node& h = root["headroom"]) {
      f.headroom_percent = h["percent"].as<double>(f.headroom_percent);
      f.reclaim_s = h["reclaim_s"].as<double>(f.reclaim_s);
      if (f.headroom_percent < 0 || f.reclaim_s < 0)
        return fail("headroom: percent and reclaim_s must be >= 0");
    }
    if (const YAML::Node& s = root["sizing"]) {
      f.sim_seconds = s["sim_seconds"].as<double>(f.sim_seconds);
      f.prompt_tokens = s["prompt_tokens"].as<int>(f.prompt_tokens);
      f.output_tokens = s["output_tokens"].as<int>(f.output_tokens);
      f.attainment = s["attainment"].as<double>(f.attainment);
      f.daily_low = s["daily_low"].as<double>(f.daily_low);
      f.peak_hour = s["peak_hour"].as<double>(f.peak_hour);
      if (f.daily_low < 0 || f.daily_low > 1) return fail("sizing.daily_low must be in [0, 1]");
      if (f.sim_seconds <= 0 || f.prompt_tokens <= 0 || f.output_tokens <= 0 || f.attainment <= 0 ||
          f.attainment > 1) {
        return fail(
            "sizing: sim_seconds, prompt_tokens, output_tokens must be > 0 and attainment in (0, "
            "1]");
      }
    }
  } catch (const YAML::Exception& e) {
    return fail(e.what());
  }
  return f;
}

}  // namespace accord
