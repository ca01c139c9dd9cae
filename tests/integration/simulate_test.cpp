// The simulator and the real gateway agree: the same agreement and the same arrivals (at least
// 2× overload, a few seconds) through `accord serve` on the built-in engine in real time, and
// through `accord simulate`, give per-party served rates within 10% and TTFT p50 within 20%.
#include <gtest/gtest.h>
#include <simdjson.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <thread>

#include "core/crypto.h"
#include "harness.h"

namespace accord::testing {
namespace {

constexpr int kPrompt = 200;  // token ids: the engine counts exactly these
constexpr int kOutput = 256;  // ignore_eos: exactly these
constexpr double kSeconds = 8;

std::string agreement() {
  // 4 batch slots: about 7 requests/s of this shape; offered 14/s. Shared work that cannot
  // start within 1.5 s is refused, so what each party gets depends on the scheduler.
  return R"(parties:
  lab: { role: provider }
  gold: { role: customer, tier: standard }
  bulk: { role: customer, tier: standard }
tiers:
  standard: { weight: 1 }
models:
  m: { owner: lab, pool: p }
pools:
  p: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8, max_batch: 4, max_queue_ms: 1500 }
reservations:
  - { party: gold, model: m, tokens_per_s: 2000, burst_s: 2, slo: { ttft_p99_ms: 1000 } }
keys:
  - { id: gold-key, party: gold, sha256: ")" +
         to_hex(sha256(kCopilotKey)) + R"(" }
  - { id: bulk-key, party: bulk, sha256: ")" +
         to_hex(sha256(kAcmeKey)) + R"(" }
ledger: { enabled: false }
)";
}

struct Outcome {
  double served_weighted = 0;
  std::vector<double> ttft_ms;
};

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

TEST(SimulateAgreesWithServe, ServedRatesAndTtftUnderOverload) {
  TempDir dir;
  const std::string config = dir.write("a.yaml", agreement());
  // The arrivals: gold 2/s, bulk 12/s, evenly spaced (the same for both runs).
  struct Arrival {
    double t;
    std::string party;
  };
  std::vector<Arrival> arrivals;
  std::string csv = "TIMESTAMP,ContextTokens,GeneratedTokens,party,model\n";
  for (const auto& [party, rate] :
       std::vector<std::pair<std::string, double>>{{"gold", 2}, {"bulk", 12}}) {
    for (int i = 0; i < static_cast<int>(kSeconds * rate); ++i) {
      arrivals.push_back({(i + 0.5) / rate, party});
    }
  }
  std::sort(arrivals.begin(), arrivals.end(),
            [](const Arrival& a, const Arrival& b) { return a.t < b.t; });
  for (const Arrival& a : arrivals) {
    csv += std::to_string(a.t) + "," + std::to_string(kPrompt) + "," + std::to_string(kOutput) +
           "," + a.party + ",m\n";
  }
  const std::string trace = dir.write("trace.csv", csv);

  // 1. The simulator.
  std::string out;
  {
    FILE* p = popen((std::string(ACCORD_BIN) + " simulate --config " + config + " --trace " +
                     trace + " --format json")
                        .c_str(),
                    "r");
    char buf[4096];
    size_t n;
    while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
    ASSERT_EQ(pclose(p), 0) << out;
  }
  simdjson::dom::parser parser;
  simdjson::dom::element sim = parser.parse(out);
  std::map<std::string, std::pair<double, double>> simulated;  // party → (served tok/s, TTFT p50)
  for (simdjson::dom::element p : sim["parties"].get_array()) {
    simulated[std::string(std::string_view(p["party"]))] = {
        double(p["served_weighted_tokens"]) / kSeconds, double(p["ttft"]["p50_ms"])};
  }

  // 2. The gateway, in real time: each request sent at its arrival time, streamed.
  Served s = start_serve(config, {"--workers", "2"});
  std::string prompt = "[";
  for (int i = 0; i < kPrompt; ++i) prompt += (i ? ",1" : "1");
  prompt += "]";
  const std::string body = R"({"model":"m","prompt":)" + prompt + R"(,"max_tokens":)" +
                           std::to_string(kOutput) + R"(,"ignore_eos":true,"stream":true})";
  std::mutex mu;
  std::map<std::string, Outcome> real;
  std::vector<std::thread> threads;
  const auto t0 = std::chrono::steady_clock::now() + std::chrono::milliseconds(200);
  for (const Arrival& a : arrivals) {
    threads.emplace_back([&, a] {
      const auto at = t0 + std::chrono::microseconds(static_cast<int64_t>(a.t * 1e6));
      HttpConnection c(s.port);
      std::this_thread::sleep_until(at);
      c.send_request("POST", "/v1/completions", body,
                     bearer(a.party == "gold" ? kCopilotKey : kAcmeKey));
      const HttpResponse head = c.read_head(30'000);
      if (head.status != 200) return;
      double ttft = -1;
      int chunks = 0;
      for (std::string data = c.next_sse_data(30'000); !data.empty() && data != "[DONE]";
           data = c.next_sse_data(30'000)) {
        if (ttft < 0) {
          ttft = std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - at)
                     .count();
        }
        ++chunks;
      }
      std::lock_guard lock(mu);
      Outcome& o = real[a.party];
      o.ttft_ms.push_back(ttft);
      o.served_weighted += kPrompt + 3.0 * kOutput;
    });
  }
  for (auto& t : threads) t.join();

  for (const std::string party : {"gold", "bulk"}) {
    const double real_rate = real[party].served_weighted / kSeconds;
    const auto [sim_rate, sim_ttft] = simulated[party];
    const double real_ttft = median(real[party].ttft_ms);
    EXPECT_NEAR(real_rate, sim_rate, 0.10 * sim_rate)
        << party << ": served " << real_rate << " tok/s for real, " << sim_rate << " simulated";
    EXPECT_NEAR(real_ttft, sim_ttft, 0.20 * sim_ttft)
        << party << ": TTFT p50 " << real_ttft << " ms for real, " << sim_ttft << " simulated";
    std::printf("%s: served %.0f vs %.0f tok/s, TTFT p50 %.0f vs %.0f ms (real vs simulated)\n",
                party.c_str(), real_rate, sim_rate, real_ttft, sim_ttft);
  }
}

}  // namespace
}  // namespace accord::testing
