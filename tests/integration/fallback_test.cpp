// Fallback between pools, end to end: when the first pool cannot serve a request — its upstream
// resets or answers 5xx/429 before the first byte, or it is full — the next pool of the chain
// serves it, at that pool's price, with exactly one ledger row naming that pool. Nothing falls
// back once the client has a byte, and `spillover: false` never falls back.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <string>
#include <thread>
#include <tuple>
#include <vector>

#include "agreements.h"
#include "fault_upstream.h"
#include "harness.h"

namespace accord::testing {
namespace {

// (status, pool, cost) of each ledger row for a request id.
std::vector<std::tuple<int, std::string, int64_t>> ledger_rows(const std::string& path,
                                                               const std::string& id) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  std::vector<std::tuple<int, std::string, int64_t>> out;
  if (sqlite3_prepare_v2(db, "SELECT status, pool, cost_micro_usd FROM usage WHERE request_id = ?1",
                         -1, &stmt, nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(stmt) == SQLITE_ROW) {
      const auto* pool = reinterpret_cast<const char*>(sqlite3_column_text(stmt, 1));
      out.emplace_back(sqlite3_column_int(stmt, 0), pool ? pool : "",
                       sqlite3_column_int64(stmt, 2));
    }
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

// m-fb lives on pool "up" (the fault upstream) and falls back to "local" (the built-in engine),
// where it costs $1,000/M input tokens and $2,000/M output tokens (on "up": nothing).
TestAgreement fallback_agreement(int port) {
  TestAgreement t;
  t.upstream_ports = {port};
  t.up_timeouts = "connect_ms: 1000, first_byte_ms: 800, idle_ms: 800";
  t.up_extra = "fallback: [ local ]";
  t.extra_models =
      "  m-fb: { owner: lab, pool: up, served_by: { local: { price: { input_per_mtok: 1000, "
      "output_per_mtok: 2000 } } } }\n";
  return t;
}

std::string chat(bool stream) {
  return std::string(R"({"model":"m-fb","max_tokens":4,"stream":)") + (stream ? "true" : "false") +
         R"(,"messages":[{"role":"user","content":"Hi"}]})";
}

struct FallbackCase {
  const char* name;
  Fault fault;
  int upstream_status;
};

class FallbackFault : public ::testing::TestWithParam<FallbackCase> {};

TEST_P(FallbackFault, TheNextPoolServesItBilledThereOnce) {
  const FallbackCase& c = GetParam();
  FaultUpstream upstream(c.fault, c.upstream_status);
  TempDir dir;
  Served s =
      start_serve(dir.write("a.yaml", agreement_yaml(fallback_agreement(upstream.port()), dir)),
                  {"--workers", "1"});
  for (const bool stream : {false, true}) {
    auto headers = bearer(kAcmeKey);
    const std::string id = std::string("fb-") + c.name + (stream ? "-stream" : "");
    headers["X-Request-Id"] = id;
    const HttpResponse r = http(s.port, "POST", "/v1/chat/completions", chat(stream), headers);
    EXPECT_EQ(r.status, 200) << r.body;
    EXPECT_NE(r.body.find("accord-sim"), std::string::npos) << "the built-in engine answered";
  }
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0) << s.process->captured();
  for (const bool stream : {false, true}) {
    const std::string id = std::string("fb-") + c.name + (stream ? "-stream" : "");
    const auto rows = ledger_rows(dir.path() + "/ledger.db", id);
    ASSERT_EQ(rows.size(), 1u) << id;
    EXPECT_EQ(std::get<0>(rows[0]), 200);
    EXPECT_EQ(std::get<1>(rows[0]), "local");
    EXPECT_GT(std::get<2>(rows[0]), 0) << "billed at the price on the pool that served it";
  }
}

INSTANTIATE_TEST_SUITE_P(Fallback, FallbackFault,
                         ::testing::Values(FallbackCase{"reset", Fault::kResetBeforeAnswer, 0},
                                           FallbackCase{"status_503", Fault::kStatus, 503},
                                           FallbackCase{"status_429", Fault::kStatus, 429}),
                         [](const auto& info) { return std::string(info.param.name); });

// After the first byte nothing falls back: the stream ends with an error event, billed to "up".
TEST(Fallback, NothingFallsBackAfterTheFirstByte) {
  FaultUpstream upstream(Fault::kResetMidStream);
  TempDir dir;
  Served s =
      start_serve(dir.write("a.yaml", agreement_yaml(fallback_agreement(upstream.port()), dir)),
                  {"--workers", "1"});
  auto headers = bearer(kAcmeKey);
  headers["X-Request-Id"] = "fb-midstream";
  const HttpResponse r = http(s.port, "POST", "/v1/chat/completions", chat(true), headers);
  EXPECT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"error\":{"), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("accord-sim"), std::string::npos) << r.body;
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0);
  const auto rows = ledger_rows(dir.path() + "/ledger.db", "fb-midstream");
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(std::get<1>(rows[0]), "up");
  EXPECT_EQ(upstream.completions(), 1);
}

// The first pool full (its one slot held by a stalled request, no queueing time): the next
// request goes to the fallback pool at once rather than waiting or being refused.
TEST(Fallback, AFullPoolHandsTheRequestOn) {
  FaultUpstream upstream(Fault::kStall);
  TempDir dir;
  TestAgreement t = fallback_agreement(upstream.port());
  t.max_inflight = 1;
  t.up_extra = "fallback: [ local ]\n    max_queue_ms: 1\n    max_retries: 0";
  t.up_timeouts = "connect_ms: 1000, first_byte_ms: 5000, idle_ms: 5000";
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  HttpConnection stalled(s.port);
  stalled.send_request("POST", "/v1/chat/completions", chat(false), bearer(kAcmeKey));
  // Wait until the stalled request holds the upstream's slot.
  for (int i = 0; i < 500 && upstream.completions() == 0; ++i) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(upstream.completions(), 1);
  auto headers = bearer(kAcmeKey);
  headers["X-Request-Id"] = "fb-full";
  const HttpResponse r = http(s.port, "POST", "/v1/chat/completions", chat(false), headers);
  EXPECT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("accord-sim"), std::string::npos) << r.body;
  s.process->signal(SIGKILL);
  s.process->wait_exit();
}

// A Responses request that only a pool serving the API itself can take (reasoning summaries) does
// not fall back to a pool that would translate it: the upstream's refusal reaches the client. One
// that translates falls back to the built-in engine as chat does.
TEST(Fallback, WhatOnlyANativePoolTakesDoesNotFallBackToATranslatingOne) {
  FaultUpstream upstream(Fault::kStatus, 503);
  TempDir dir;
  TestAgreement t = fallback_agreement(upstream.port());
  t.up_extra = "fallback: [ local ]\n    native_apis: [ responses ]\n    max_retries: 0";
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  const HttpResponse translatable =
      http(s.port, "POST", "/v1/responses",
           R"({"model":"m-fb","input":"Hi","max_output_tokens":4})", bearer(kAcmeKey));
  EXPECT_EQ(translatable.status, 200) << translatable.body;
  EXPECT_NE(translatable.body.find(R"("object":"response")"), std::string::npos)
      << translatable.body;
  const HttpResponse native_only =
      http(s.port, "POST", "/v1/responses",
           R"({"model":"m-fb","input":"Hi","max_output_tokens":4,"reasoning":{"summary":"auto"}})",
           bearer(kAcmeKey));
  EXPECT_EQ(native_only.status, 503) << native_only.body;
  EXPECT_NE(native_only.body.find("upstream says no"), std::string::npos) << native_only.body;
  EXPECT_EQ(upstream.completions(), 2);
}

}  // namespace
}  // namespace accord::testing
