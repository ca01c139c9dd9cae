// accord plan on the demo agreement and examples/fleet.yaml: the split it prints is the split
// the Kueue manifests carry, the gangs are placed, and an agreement beyond the fleet exits 2
// saying by how much.
#include <gtest/gtest.h>
#include <simdjson.h>
#include <yaml-cpp/yaml.h>

#include <fmt/format.h>

#include <cstdio>
#include <map>
#include <set>

#include "harness.h"

namespace accord::testing {
namespace {

std::string run(const std::string& args, int* code) {
  std::string out;
  FILE* p = popen((std::string(ACCORD_BIN) + " " + args + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  const int status = pclose(p);
  *code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return out;
}

TEST(Plan, TheKueueManifestsCarryThePlannedSplit) {
  TempDir dir;
  int code = 0;
  const std::string out =
      run(std::string("plan --config ") + ACCORD_SOURCE_DIR + "/examples/demo.yaml --fleet " +
              ACCORD_SOURCE_DIR + "/examples/fleet.yaml --format json --kueue " + dir.path(),
          &code);
  ASSERT_EQ(code, 0) << out;
  // (stdout and stderr together: the JSON is the braces' span)
  const std::string json = out.substr(out.find('{'), out.rfind('}') - out.find('{') + 1);
  simdjson::dom::parser parser;
  simdjson::dom::element plan = parser.parse(json);
  EXPECT_TRUE(bool(plan["feasible"]));
  std::map<std::string, std::map<std::string, int64_t>> split;
  for (simdjson::dom::element s : plan["split"].get_array()) {
    auto& row = split[std::string(std::string_view(s["gpu"]))];
    for (const char* k :
         {"inventory", "inference", "inference_min", "research", "research_may_borrow"}) {
      row[k] = int64_t(s[k]);
    }
    EXPECT_EQ(row["inference"] + row["research"], row["inventory"]);
    // Research gets at least its guarantee, plus what inference lends; inference uses at most its.
    EXPECT_GE(double(s["research_gpu_hours_delivered"]),
              double(s["research_gpu_hours_guaranteed"]));
    EXPECT_LE(double(s["research_gpu_hours_delivered"]),
              double(s["research_gpu_hours_guaranteed"]) + 24.0 * row["research_may_borrow"]);
    EXPECT_LE(double(s["inference_gpu_hours_used"]), double(s["inference_gpu_hours_guaranteed"]));
  }
  ASSERT_EQ(split.size(), 2u);
  // The h100 pool carries a reservation: sized by simulation, with headroom it may lend.
  for (simdjson::dom::element p : plan["pools"].get_array()) {
    if (std::string_view(p["pool"]) == "h100-east") {
      EXPECT_TRUE(bool(p["sized"]));
      EXPECT_GT(int64_t(p["min_gpus"]), 0);
      EXPECT_GE(int64_t(p["planned_gpus"]), int64_t(p["min_gpus"]));
      EXPECT_GE(double(p["breaking_tokens_per_s"]), double(p["reserved_tokens_per_s"]));
    }
  }
  EXPECT_DOUBLE_EQ(double(plan["single_domain_fraction"]), 1.0);
  for (simdjson::dom::element g : plan["gangs"].get_array()) EXPECT_TRUE(bool(g["placed"]));

  // The manifests parse and say the same.
  std::map<std::string, YAML::Node> queues;
  std::set<std::string> flavors;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(dir.path() + "/cluster-queues.yaml")) {
    EXPECT_EQ(doc["apiVersion"].as<std::string>(), "kueue.x-k8s.io/v1beta1");
    EXPECT_EQ(doc["kind"].as<std::string>(), "ClusterQueue");
    EXPECT_EQ(doc["spec"]["cohort"].as<std::string>(), "accord");
    queues[doc["metadata"]["name"].as<std::string>()] = doc;
  }
  for (const YAML::Node& doc : YAML::LoadAllFromFile(dir.path() + "/resource-flavors.yaml")) {
    EXPECT_EQ(doc["kind"].as<std::string>(), "ResourceFlavor");
    flavors.insert(doc["metadata"]["name"].as<std::string>());
  }
  EXPECT_EQ(flavors, (std::set<std::string>{"a100", "h100"}));
  ASSERT_EQ(queues.size(), 2u);
  EXPECT_EQ(
      queues["commercial-inference"]["spec"]["preemption"]["reclaimWithinCohort"].as<std::string>(),
      "Any");
  for (const auto& [name, side] : std::map<std::string, std::string>{
           {"commercial-inference", "inference"}, {"research", "research"}}) {
    const YAML::Node& flavours = queues[name]["spec"]["resourceGroups"][0]["flavors"];
    ASSERT_EQ(flavours.size(), 2u) << name;
    for (const YAML::Node& f : flavours) {
      const auto& row = split[f["name"].as<std::string>()];
      const YAML::Node& gpu = f["resources"][0];
      EXPECT_EQ(gpu["name"].as<std::string>(), "nvidia.com/gpu");
      EXPECT_EQ(gpu["nominalQuota"].as<int64_t>(), row.at(side)) << name;
      if (side == "inference") {
        EXPECT_EQ(gpu["lendingLimit"].as<int64_t>(), row.at("research_may_borrow"));
      } else {
        EXPECT_EQ(gpu["borrowingLimit"].as<int64_t>(), row.at("research_may_borrow"));
      }
    }
  }
  int local = 0;
  for (const YAML::Node& doc : YAML::LoadAllFromFile(dir.path() + "/local-queues.yaml")) {
    EXPECT_EQ(doc["kind"].as<std::string>(), "LocalQueue");
    EXPECT_EQ(queues.count(doc["spec"]["clusterQueue"].as<std::string>()), 1u);
    ++local;
  }
  EXPECT_EQ(local, 2);
}

TEST(Plan, AnAgreementBeyondTheFleetExits2SayingByHowMuch) {
  TempDir dir;
  const std::string fleet = dir.write("fleet.yaml",
                                      "gpus:\n  - { type: h100, nodes: 1, gpus_per_node: 2 }\n"
                                      "  - { type: a100, nodes: 1, gpus_per_node: 8 }\n"
                                      "sizing: { sim_seconds: 30 }\n");
  int code = 0;
  const std::string out = run(
      std::string("plan --config ") + ACCORD_SOURCE_DIR + "/examples/demo.yaml --fleet " + fleet,
      &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("h100: the reservations need at least"), std::string::npos) << out;
  EXPECT_NE(out.find("the fleet has 2 (short by"), std::string::npos) << out;
  EXPECT_NE(out.find("INFEASIBLE"), std::string::npos);
}

// An 8B pool with a reservation of a few thousand tokens/s: tight TTFT targets a GPU meets are
// planned on one or two GPUs; one no GPU count meets is named, with its figures.
std::string eight_b(int ttft_ms) {
  return fmt::format(R"(parties:
  lab: {{ role: provider }}
  a: {{ role: customer, tier: standard }}
tiers:
  standard: {{ weight: 1 }}
models:
  m: {{ owner: lab, pool: p, context_window: 131072 }}
pools:
  p: {{ engine: builtin, gpu: h100, gpus: 2, model_params_b: 8 }}
reservations:
  - {{ party: a, model: m, tokens_per_s: 4000, slo: {{ ttft_p99_ms: {} }} }}
)",
                     ttft_ms);
}

TEST(Plan, AReservationWithATightTtftTargetIsPlannedOnFewGpus) {
  TempDir dir;
  const std::string fleet = dir.write("fleet.yaml",
                                      "gpus:\n  - { type: h100, nodes: 1, gpus_per_node: 8 }\n"
                                      "sizing: { sim_seconds: 30 }\n");
  for (const int ttft_ms : {800, 2000, 3000}) {
    const std::string config = dir.write("a.yaml", eight_b(ttft_ms));
    int code = 0;
    const std::string out =
        run("plan --config " + config + " --fleet " + fleet + " --format json", &code);
    ASSERT_EQ(code, 0) << out;
    const std::string json = out.substr(out.find('{'), out.rfind('}') - out.find('{') + 1);
    simdjson::dom::parser parser;
    simdjson::dom::element plan = parser.parse(json);
    for (simdjson::dom::element p : plan["pools"].get_array()) {
      EXPECT_LE(int64_t(p["planned_gpus"]), 2) << ttft_ms << " ms: " << out;
    }
  }
  // 5 ms is less than the prefill of a 1,000-token prompt: it says so, not just "infeasible".
  const std::string config = dir.write("a.yaml", eight_b(5));
  int code = 0;
  const std::string out = run("plan --config " + config + " --fleet " + fleet, &code);
  EXPECT_EQ(code, 2) << out;
  EXPECT_NE(out.find("a meets its SLO on 0.0% of requests, not 99.0% (TTFT p99"), std::string::npos)
      << out;
  EXPECT_NE(out.find("against 5)"), std::string::npos) << out;
}

TEST(Plan, ABadFleetFileIsAnError) {
  TempDir dir;
  const std::string fleet = dir.write("fleet.yaml", "gpus:\n  - { type: tpu9, nodes: 1 }\n");
  int code = 0;
  const std::string out = run(
      std::string("plan --config ") + ACCORD_SOURCE_DIR + "/examples/demo.yaml --fleet " + fleet,
      &code);
  EXPECT_EQ(code, 1);
  EXPECT_NE(out.find("gpus[0].type: unknown GPU 'tpu9'"), std::string::npos) << out;
}

}  // namespace
}  // namespace accord::testing
