// Stages 4 and 5 against a running gateway: rate limits with OpenAI's headers, spend budgets
// under concurrency, service tiers, and reserved work reclaiming slots from preemptible work.
#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <thread>

#include "core/crypto.h"
#include "harness.h"

namespace accord::testing {
namespace {

std::string keys_yaml() {
  return "keys:\n"
         "  - { id: acme-key, party: acme, sha256: \"" +
         to_hex(sha256(kAcmeKey)) +
         "\" }\n"
         "  - { id: copilot-key, party: copilot, sha256: \"" +
         to_hex(sha256(kCopilotKey)) +
         "\" }\n"
         "  - { id: research-key, party: research, sha256: \"" +
         to_hex(sha256(kResearchKey)) + "\" }\n";
}

// One built-in pool of a single replica running at most `batch` sequences at once.
std::string agreement(const TempDir& dir, const std::string& acme_limits, int batch,
                      const std::string& extra = "") {
  return R"(parties:
  lab: { role: provider }
  acme: { role: customer, tier: standard)" +
         acme_limits + R"( }
  copilot: { role: customer, tier: preferred }
  research: { role: internal, tier: research }
tiers:
  standard: { weight: 1 }
  preferred: { weight: 4, priority: true }
  research: { weight: 1, preemptible: true }
models:
  m:
    owner: lab
    pool: p
    price: { input_per_mtok: 1000, output_per_mtok: 1000 }
pools:
  p: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8, max_batch: )" +
         std::to_string(batch) + R"( }
reservations:
  - { party: copilot, model: m, tokens_per_s: 100000, slo: { ttft_p99_ms: 200 } }
)" + extra +
         keys_yaml() + "ledger: { path: \"" + dir.path() + "/ledger.db\" }\n";
}

std::string chat(int max_tokens, const std::string& extra = "") {
  return R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":)" +
         std::to_string(max_tokens) + (extra.empty() ? "" : "," + extra) + "}";
}

TEST(Limits, HeadersOnEveryResponseAnd429NamesTheLimit) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir, ", rpm: 3", 64)), {"--workers", "1"});
  for (int i = 0; i < 3; ++i) {
    const HttpResponse r = http(s.port, "POST", "/v1/chat/completions", chat(2), bearer(kAcmeKey));
    ASSERT_EQ(r.status, 200) << r.body;
    EXPECT_EQ(r.header("x-ratelimit-limit-requests"), "3");
    EXPECT_EQ(r.header("x-ratelimit-remaining-requests"), std::to_string(2 - i));
    EXPECT_FALSE(r.header("x-ratelimit-reset-requests").empty());
  }
  const HttpResponse refused =
      http(s.port, "POST", "/v1/chat/completions", chat(2), bearer(kAcmeKey));
  EXPECT_EQ(refused.status, 429);
  // The next request refills in 20 s, less the little time the three took.
  EXPECT_EQ(refused.header("retry-after"), "20");
  EXPECT_GT(std::atoi(refused.header("retry-after-ms").c_str()), 19'000);
  EXPECT_LE(std::atoi(refused.header("retry-after-ms").c_str()), 20'000);
  EXPECT_EQ(refused.header("x-ratelimit-remaining-requests"), "0");
  EXPECT_NE(refused.body.find("requests per minute (RPM) on party 'acme'"), std::string::npos)
      << refused.body;
  EXPECT_NE(refused.body.find("\"code\":\"rate_limit_exceeded\""), std::string::npos);
}

// 16 clients hammer one key with a limit of 60 per minute for a few seconds of real time: what
// is admitted is the burst (60) plus what refilled (one a second), never more.
TEST(Limits, SixteenClientsHammeringOneKeyStayWithinTheLimit) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir, ", rpm: 60", 512)), {"--workers", "2"});
  std::atomic<int> admitted{0}, refused{0}, other{0};
  std::atomic<bool> stop{false};
  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&] {
      HttpConnection c(s.port);
      while (!stop.load()) {
        c.send_request("POST", "/v1/chat/completions", chat(1), bearer(kAcmeKey));
        const int status = c.read_response().status;
        (status == 200 ? admitted : status == 429 ? refused : other).fetch_add(1);
      }
    });
  }
  while (std::chrono::steady_clock::now() - start < std::chrono::seconds(3)) {
    std::this_thread::yield();  // the clients do the work; this thread only keeps time
    if (admitted.load() + refused.load() > 200000) break;
  }
  stop.store(true);
  for (auto& c : clients) c.join();
  const double elapsed =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  EXPECT_EQ(other.load(), 0);
  EXPECT_GE(admitted.load(), 60);
  EXPECT_LE(admitted.load(), 60 + static_cast<int>(std::ceil(elapsed)) + 1);
  EXPECT_GT(refused.load(), 100);
}

// A budget of $0.50 at $0.001 a token, spent by 16 concurrent clients: the requests that got an
// answer never cost more than the budget together, and the others were refused up front.
TEST(Limits, BudgetIsNeverOverrunUnderConcurrency) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir, ", budget_usd_per_month: 0.5", 512)),
                         {"--workers", "2"});
  std::atomic<int64_t> spent_tokens{0};
  std::atomic<int> refused{0};
  std::vector<std::thread> clients;
  for (int i = 0; i < 16; ++i) {
    clients.emplace_back([&] {
      for (int k = 0; k < 8; ++k) {
        const HttpResponse r =
            http(s.port, "POST", "/v1/chat/completions", chat(40), bearer(kAcmeKey));
        if (r.status == 200) {
          const auto p = r.body.find("\"total_tokens\":");
          spent_tokens.fetch_add(std::atoll(r.body.c_str() + p + 15));
        } else {
          EXPECT_EQ(r.status, 429) << r.body;
          EXPECT_NE(r.body.find("monthly budget of $0.5 for party 'acme'"), std::string::npos);
          refused.fetch_add(1);
        }
      }
    });
  }
  for (auto& c : clients) c.join();
  EXPECT_LE(spent_tokens.load() * 1000, 500'000) << "µ$ spent";  // $0.001 a token
  EXPECT_GT(spent_tokens.load(), 0);
  EXPECT_GT(refused.load(), 0);
}

TEST(ServiceTier, PriorityWhereTheTierAllowsItAndFlexAsAsked) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir, "", 64)), {"--workers", "1"});
  HttpResponse r = http(s.port, "POST", "/v1/chat/completions",
                        chat(2, R"("service_tier":"priority")"), bearer(kCopilotKey));
  EXPECT_NE(r.body.find("\"service_tier\":\"priority\""), std::string::npos) << r.body;
  r = http(s.port, "POST", "/v1/chat/completions", chat(2, R"("service_tier":"priority")"),
           bearer(kAcmeKey));
  EXPECT_NE(r.body.find("\"service_tier\":\"default\""), std::string::npos) << r.body;
  r = http(s.port, "POST", "/v1/chat/completions", chat(2, R"("service_tier":"flex")"),
           bearer(kAcmeKey));
  EXPECT_NE(r.body.find("\"service_tier\":\"flex\""), std::string::npos) << r.body;
}

// The pool runs two sequences at once, both taken by research's streams. A reserved request
// arrives: the youngest research stream is stopped with code "preempted" and the reserved one
// runs at once; the older stream goes on.
TEST(Preemption, ReservedWorkReclaimsASlotFromResearch) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir, "", 2)), {"--workers", "1"});
  const std::string long_stream = chat(20000, R"("ignore_eos":true,"stream":true)");
  HttpConnection older(s.port), younger(s.port);
  older.send_request("POST", "/v1/chat/completions", long_stream, bearer(kResearchKey));
  ASSERT_EQ(older.read_head().status, 200);
  ASSERT_FALSE(older.next_sse_data().empty());
  younger.send_request("POST", "/v1/chat/completions", long_stream, bearer(kResearchKey));
  ASSERT_EQ(younger.read_head().status, 200);
  ASSERT_FALSE(younger.next_sse_data().empty());

  const HttpResponse reserved =
      http(s.port, "POST", "/v1/chat/completions", chat(5), bearer(kCopilotKey));
  EXPECT_EQ(reserved.status, 200) << reserved.body;

  std::string last;
  for (std::string e = younger.next_sse_data(); !e.empty(); e = younger.next_sse_data()) last = e;
  EXPECT_NE(last.find("\"code\":\"preempted\""), std::string::npos) << last;
  // The older stream was not touched.
  for (int i = 0; i < 3; ++i) {
    const std::string e = older.next_sse_data();
    EXPECT_NE(e.find("chat.completion.chunk"), std::string::npos) << e;
  }
}

// A flex request that has sent nothing yet is put back in the queue instead, and still
// completes once capacity frees.
TEST(Preemption, FlexRequestsThatSentNothingAreRequeued) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir, "", 1)), {"--workers", "1"});
  HttpConnection flex(s.port);
  flex.send_request("POST", "/v1/chat/completions", chat(300, R"("service_tier":"flex")"),
                    bearer(kAcmeKey));
  // Let it start (it holds the only slot), then the reserved request takes the slot back.
  const HttpResponse probe = http(s.port, "GET", "/healthz");
  ASSERT_EQ(probe.status, 200);
  const HttpResponse reserved =
      http(s.port, "POST", "/v1/chat/completions", chat(5), bearer(kCopilotKey));
  EXPECT_EQ(reserved.status, 200) << reserved.body;
  // The reserved request did not wait for the flex one: that one is still running (again).
  EXPECT_FALSE(flex.readable(0));
  const HttpResponse r = flex.read_response(60'000);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"completion_tokens\":300"), std::string::npos) << r.body;
}

TEST(Scheduler, FcfsCanBeChosen) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir, "", 4)),
                         {"--workers", "1", "--scheduler", "fcfs"});
  EXPECT_NE(s.process->captured().find("fcfs scheduler"), std::string::npos);
  EXPECT_EQ(http(s.port, "POST", "/v1/chat/completions", chat(2), bearer(kAcmeKey)).status, 200);
}

}  // namespace
}  // namespace accord::testing
