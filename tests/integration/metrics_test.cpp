// Metrics and the access log end to end: a known mix of requests (served, unauthenticated,
// refused by a rate limit) through `accord serve`; /metrics counts exactly that mix, passes
// Debian's `promtool check metrics`, and is for operators only; the access log has one JSON line
// per request with the fields an operator greps for.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>

#include <chrono>
#include <cstdio>
#include <fstream>
#include <regex>
#include <sstream>

#include "core/crypto.h"
#include "harness.h"

namespace accord::testing {
namespace {

std::string agreement(const TempDir& dir) {
  return R"(parties:
  lab: { role: provider }
  ops: { role: operator }
  copilot: { role: customer, tier: standard }
  acme: { role: customer, tier: standard, rpm: 2, budget_usd_per_month: 100 }
tiers:
  standard: { weight: 1 }
models:
  m: { owner: lab, pool: p, price: { input_per_mtok: 1000, output_per_mtok: 2000 } }
  u: { owner: lab, pool: up }
pools:
  p: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }
  up: { upstreams: [ { url: "http://127.0.0.1:9/v1" } ] }  # nothing listens there
reservations:
  - { party: copilot, model: m, tokens_per_s: 5000, slo: { ttft_p99_ms: 60000 } }
keys:
  - { id: copilot-key, party: copilot, sha256: ")" +
         to_hex(sha256(kCopilotKey)) + R"(" }
  - { id: acme-key, party: acme, sha256: ")" +
         to_hex(sha256(kAcmeKey)) + R"(" }
  - { id: ops-key, party: ops, sha256: ")" +
         to_hex(sha256(kCloudKey)) + R"(" }
ledger: { path: ")" +
         dir.path() + "/ledger.db\" }\n";
}

// The value of the sample with exactly these labels (as the exposition writes them), or -1.
double sample(const std::string& text, const std::string& series) {
  std::istringstream in(text);
  std::string line;
  while (std::getline(in, line)) {
    if (line.starts_with(series + " ")) return std::stod(line.substr(series.size() + 1));
  }
  return -1;
}

// The sum of every sample of a metric.
double total(const std::string& text, const std::string& metric) {
  std::istringstream in(text);
  std::string line;
  double sum = 0;
  while (std::getline(in, line)) {
    if (line.starts_with(metric + "{")) sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return sum;
}

TEST(MetricsEndToEnd, CountsTheMixExactlyAndPassesPromtool) {
  TempDir dir;
  const std::string log_path = dir.path() + "/access.log";
  Served s = start_serve(dir.write("a.yaml", agreement(dir)),
                         {"--workers", "2", "--access-log", log_path});
  const std::string chat =
      R"({"model":"m","messages":[{"role":"user","content":"Hello there"}],"max_tokens":4})";
  int64_t prompt = 0, completion = 0;
  for (int i = 0; i < 5; ++i) {
    HttpResponse r = http(s.port, "POST", "/v1/chat/completions", chat, bearer(kCopilotKey));
    ASSERT_EQ(r.status, 200) << r.body;
    simdjson::dom::parser parser;
    simdjson::dom::element doc = parser.parse(r.body);
    prompt += int64_t(doc["usage"]["prompt_tokens"]);
    completion += int64_t(doc["usage"]["completion_tokens"]);
  }
  int acme_ok = 0, acme_refused = 0;
  for (int i = 0; i < 4; ++i) {
    const int status = http(s.port, "POST", "/v1/chat/completions", chat, bearer(kAcmeKey)).status;
    acme_ok += status == 200;
    acme_refused += status == 429;
  }
  EXPECT_EQ(acme_ok, 2);  // rpm: 2 admits a burst of 2
  EXPECT_EQ(acme_refused, 2);
  EXPECT_EQ(http(s.port, "POST", "/v1/chat/completions", chat, bearer("sk-nobody")).status, 401);

  // For operators only.
  EXPECT_EQ(http(s.port, "GET", "/metrics", "", bearer(kCopilotKey)).status, 403);
  EXPECT_EQ(http(s.port, "GET", "/metrics", "", {}).status, 401);
  // A request is counted just after its response is written: wait until all ten are.
  HttpResponse m;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {
    m = http(s.port, "GET", "/metrics", "", bearer(kCloudKey));
  } while (m.status == 200 && total(m.body, "accord_requests_total") < 10 &&
           std::chrono::steady_clock::now() < give_up);
  ASSERT_EQ(m.status, 200);
  EXPECT_NE(m.header("content-type").find("text/plain"), std::string::npos);
  const std::string& t = m.body;
  EXPECT_EQ(
      sample(t,
             R"(accord_requests_total{class="reserved",model="m",party="copilot",status="200"})"),
      5);
  EXPECT_EQ(
      sample(t, R"(accord_requests_total{class="shared",model="m",party="acme",status="200"})"), 2);
  EXPECT_EQ(
      sample(t, R"(accord_requests_total{class="shared",model="m",party="acme",status="429"})"), 2);
  EXPECT_EQ(sample(t, R"(accord_requests_total{class="none",model="",party="",status="401"})"), 1);
  EXPECT_EQ(sample(t, R"(accord_refusals_total{limit="rpm",model="m",party="acme",scope="party"})"),
            2);
  EXPECT_EQ(sample(t, R"(accord_input_tokens_total{model="m",party="copilot"})"), prompt);
  EXPECT_EQ(sample(t, R"(accord_output_tokens_total{model="m",party="copilot"})"), completion);
  EXPECT_EQ(sample(t, R"(accord_ttft_seconds_count{model="m",party="copilot"})"), 5);
  EXPECT_EQ(sample(t, R"(accord_reservation_requests_total{model="m",party="copilot"})"), 5);
  EXPECT_EQ(sample(t, R"(accord_reservation_attained_total{model="m",party="copilot"})"), 5);
  EXPECT_EQ(sample(t, R"(accord_reservation_tokens_per_second{model="m",party="copilot"})"), 5000);
  EXPECT_EQ(sample(t, R"(accord_pool_slots_used{pool="p"})"), 0);
  EXPECT_GT(sample(t, R"(accord_pool_slots{pool="p"})"), 0);
  EXPECT_EQ(sample(t, R"(accord_pool_queue_depth{class="reserved",pool="p"})"), 0);
  EXPECT_EQ(sample(t, "accord_ledger_healthy"), 1);
  // Each loop's CPU time on work and on busy polling (the process's CPU time counts both).
  for (const std::string loop : {"0", "1"}) {
    EXPECT_GE(sample(t, "accord_event_loop_work_seconds_total{loop=\"" + loop + "\"}"), 0);
    EXPECT_GE(sample(t, "accord_event_loop_poll_seconds_total{loop=\"" + loop + "\"}"), 0);
  }
  // No label value from client input: the unknown key and the body's text appear nowhere.
  EXPECT_EQ(t.find("sk-nobody"), std::string::npos);
  EXPECT_EQ(t.find("Hello there"), std::string::npos);

  // Debian's promtool accepts the exposition.
  const std::string file = dir.write("metrics.txt", t);
  int status = 0;
  const std::string out = run_stdout("promtool check metrics < " + file + " 2>&1", &status);
  EXPECT_EQ(status, 0) << out;

  // A loop publishes its times every 10 ms of its idle spells: the work shows soon.
  const auto work_give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  double work = 0;
  while (work <= 0 && std::chrono::steady_clock::now() < work_give_up) {
    work = total(http(s.port, "GET", "/metrics", "", bearer(kCloudKey)).body,
                 "accord_event_loop_work_seconds_total");
  }
  EXPECT_GT(work, 0);

  // The access log: one JSON line per request, written out within its flush interval.
  s.process->signal(SIGTERM);
  s.process->wait_exit();
  std::ifstream log(log_path);
  std::string line;
  int lines = 0, refused = 0;
  simdjson::dom::parser parser;
  while (std::getline(log, line)) {
    ++lines;
    simdjson::dom::element e = parser.parse(line);
    for (const char* key :
         {"ts", "request_id", "party", "key_id", "model", "class", "status", "prompt_tokens",
          "completion_tokens", "queue_ms", "ttft_ms", "total_ms", "upstream"}) {
      EXPECT_FALSE(e[key].error()) << key << " missing in " << line;
    }
    if (int64_t(e["status"]) == 429) {
      ++refused;
      EXPECT_EQ(std::string_view(e["party"]), "acme");
      EXPECT_EQ(std::string_view(e["key_id"]), "acme-key");
    }
  }
  EXPECT_EQ(lines, 5 + 4 + 1);  // the inference requests, the 401 among them
  EXPECT_EQ(refused, 2);
}

// deploy/grafana/accord.json: every query is valid PromQL (promtool checks them as recording
// rules, Grafana's variables substituted) and names only metrics accord exposes.
TEST(MetricsEndToEnd, TheGrafanaDashboardQueriesWhatAccordExposes) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir)), {"--access-log", "off"});
  // One of each: served, refused by a limit.
  const std::string chat =
      R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":2})";
  for (int i = 0; i < 3; ++i) http(s.port, "POST", "/v1/chat/completions", chat, bearer(kAcmeKey));
  HttpResponse m;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  do {  // (counted just after the response is written)
    m = http(s.port, "GET", "/metrics", "", bearer(kCloudKey));
  } while (m.status == 200 && total(m.body, "accord_requests_total") < 3 &&
           std::chrono::steady_clock::now() < give_up);
  ASSERT_EQ(m.status, 200);

  simdjson::dom::parser parser;
  simdjson::dom::element dash = parser.load(ACCORD_SOURCE_DIR "/deploy/grafana/accord.json");
  std::string rules = "groups:\n  - name: accord_dashboard\n    rules:\n";
  int queries = 0;
  const std::regex metric_name(R"(accord_[a-z_]+)");
  for (simdjson::dom::element panel : dash["panels"].get_array()) {
    simdjson::dom::array targets;
    if (panel["targets"].get(targets)) continue;
    for (simdjson::dom::element target : targets) {
      std::string expr{std::string_view(target["expr"])};
      for (auto it = std::sregex_iterator(expr.begin(), expr.end(), metric_name);
           it != std::sregex_iterator(); ++it) {
        std::string name = it->str();
        for (const char* suffix : {"_bucket", "_count", "_sum"}) {
          if (name.ends_with(suffix) && name.find("_seconds") != std::string::npos) {
            name.resize(name.size() - std::string_view(suffix).size());
          }
        }
        EXPECT_NE(m.body.find("# TYPE " + name + " "), std::string::npos)
            << name << " (in " << expr << ") is not exposed";
      }
      expr = std::regex_replace(expr, std::regex(R"(\$__rate_interval)"), "5m");
      expr = std::regex_replace(expr, std::regex(R"(\$party)"), ".*");
      rules += "      - record: accord:dashboard:q" + std::to_string(++queries) +
               "\n        expr: '" + std::regex_replace(expr, std::regex("'"), "''") + "'\n";
    }
  }
  EXPECT_GT(queries, 20);
  const std::string file = dir.write("rules.yml", rules);
  int status = 0;
  const std::string out = run_stdout("promtool check rules " + file + " 2>&1", &status);
  EXPECT_EQ(status, 0) << out;
}

}  // namespace
}  // namespace accord::testing
