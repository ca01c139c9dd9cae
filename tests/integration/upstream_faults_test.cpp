// Upstream faults, injected by FaultUpstream: whatever the upstream does, the client gets a clean
// OpenAI-format outcome, a request is retried only while nothing has reached its client, the
// ledger records each request once with the status the client saw, and the endpoint's health
// reacts and recovers.
#include <gtest/gtest.h>
#include <signal.h>
#include <sqlite3.h>

#include <chrono>
#include <thread>

#include "agreements.h"
#include "fault_upstream.h"
#include "harness.h"

namespace accord::testing {
namespace {

std::string body(bool stream) {
  return std::string(
             R"({"model":"m-up","messages":[{"role":"user","content":"hi"}],"max_tokens":8)") +
         (stream ? R"(,"stream":true})" : "}");
}

// The statuses the ledger holds for a request id.
std::vector<int> ledger_statuses(const std::string& path, const std::string& id) {
  sqlite3* db = nullptr;
  sqlite3_open_v2(path.c_str(), &db, SQLITE_OPEN_READONLY, nullptr);
  sqlite3_stmt* stmt = nullptr;
  std::vector<int> out;
  if (sqlite3_prepare_v2(db, "SELECT status FROM usage WHERE request_id = ?1", -1, &stmt,
                         nullptr) == SQLITE_OK) {
    sqlite3_bind_text(stmt, 1, id.c_str(), -1, SQLITE_TRANSIENT);
    while (sqlite3_step(stmt) == SQLITE_ROW) out.push_back(sqlite3_column_int(stmt, 0));
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  return out;
}

struct Case {
  const char* name;
  Fault fault;
  int upstream_status;
  const char* retry_after;
  bool stream;
  int expected_status;  // what the client gets (200: the stream had started)
  int ledger_status;    // what the ledger records: for a stream that failed after it started,
                        // the failure's status (the client saw 200, then an error event)
};

class UpstreamFault : public ::testing::TestWithParam<Case> {};

TEST_P(UpstreamFault, TheClientGetsACleanOutcomeAndTheLedgerOneRecord) {
  const Case& c = GetParam();
  FaultUpstream upstream(c.fault, c.upstream_status, c.retry_after);
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  t.up_timeouts = "connect_ms: 1000, first_byte_ms: 800, idle_ms: 800";
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  auto headers = bearer(kAcmeKey);
  headers["X-Request-Id"] = std::string("fault-") + c.name;
  HttpConnection conn(s.port);
  conn.send_request("POST", "/v1/chat/completions", body(c.stream), headers);
  std::string seen;
  int status = 0;
  if (c.stream && c.expected_status == 200) {
    const HttpResponse head = conn.read_head(10'000);
    status = head.status;
    if (status == 200) {
      std::string last;
      for (std::string e = conn.next_sse_data(10'000); !e.empty(); e = conn.next_sse_data(10'000)) {
        last = e;
        seen += e + "\n";
      }
      // A stream that failed after it started ends with an OpenAI error event, never silently.
      EXPECT_NE(last.find("\"error\":{"), std::string::npos) << seen;
    } else {
      seen = conn.read_response(10'000).body;
    }
  } else {
    const HttpResponse r = conn.read_response(10'000);
    status = r.status;
    seen = r.body;
    if (c.retry_after[0] != '\0') {
      EXPECT_EQ(r.header("retry-after"), c.retry_after)
          << "the upstream's retry-after is passed on";
    }
  }
  EXPECT_EQ(status, c.expected_status) << seen;
  if (status != 200) {
    EXPECT_NE(seen.find("\"error\":{\"message\":"), std::string::npos) << seen;
  }
  // Retried only while nothing had reached the client; with one endpoint, never.
  EXPECT_EQ(upstream.completions(), 1);
  // The gateway keeps serving.
  EXPECT_EQ(http(s.port, "GET", "/healthz").status, 200);
  s.process->signal(SIGTERM);
  EXPECT_EQ(s.process->wait_exit(), 0) << s.process->captured();
  EXPECT_EQ(ledger_statuses(dir.path() + "/ledger.db", std::string("fault-") + c.name),
            std::vector<int>{c.ledger_status});
}

INSTANTIATE_TEST_SUITE_P(
    Faults, UpstreamFault,
    ::testing::Values(
        Case{"reset_before_answer", Fault::kResetBeforeAnswer, 0, "", false, 502, 502},
        Case{"reset_before_answer_stream", Fault::kResetBeforeAnswer, 0, "", true, 502, 502},
        Case{"reset_mid_stream", Fault::kResetMidStream, 0, "", true, 200, 502},
        Case{"stall", Fault::kStall, 0, "", false, 504, 504},
        Case{"stall_stream", Fault::kStall, 0, "", true, 504, 504},
        Case{"status_500", Fault::kStatus, 500, "", false, 500, 500},
        Case{"status_502", Fault::kStatus, 502, "", false, 502, 502},
        Case{"status_503", Fault::kStatus, 503, "", false, 503, 503},
        Case{"status_503_retry_after", Fault::kStatus, 503, "2", false, 503, 503},
        Case{"status_429", Fault::kStatus, 429, "", false, 429, 429},
        Case{"status_429_retry_after", Fault::kStatus, 429, "3", false, 429, 429},
        Case{"malformed_json", Fault::kMalformedJson, 0, "", false, 502, 502},
        Case{"stream_without_done", Fault::kNoDone, 0, "", true, 200, 502},
        Case{"short_body", Fault::kShortBody, 0, "", false, 502, 502}),
    [](const ::testing::TestParamInfo<Case>& info) { return std::string(info.param.name); });

// An upstream that answers 429 governs the pool's concurrency: the limit accord learned for it
// (its slow start begins at 8) halves, as /metrics shows.
TEST(UpstreamFaults, AnUpstreams429HalvesThePoolsConcurrencyLimit) {
  FaultUpstream upstream(Fault::kStatus, 429, "1");
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  auto limit = [&] {
    const std::string m = http(s.port, "GET", "/metrics", "", bearer(kCloudKey)).body;
    const std::string series = "accord_pool_slots{pool=\"up\"} ";
    const size_t at = m.find(series);
    return at == std::string::npos ? -1.0 : std::stod(m.substr(at + series.size()));
  };
  EXPECT_EQ(limit(), 8);
  const HttpResponse r =
      http(s.port, "POST", "/v1/chat/completions", body(false), bearer(kAcmeKey));
  EXPECT_EQ(r.status, 429) << r.body;
  EXPECT_EQ(limit(), 4);
  s.process->signal(SIGTERM);
  EXPECT_EQ(s.process->wait_exit(), 0);
}

// A stream that never ends: the client leaves, and the gateway closes the upstream connection
// and records the request once, as the client's departure (499).
TEST(UpstreamFaults, AnEndlessStreamEndsWhenItsClientLeaves) {
  FaultUpstream upstream(Fault::kEndlessStream);
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  {
    auto headers = bearer(kAcmeKey);
    headers["X-Request-Id"] = "endless";
    HttpConnection c(s.port);
    c.send_request("POST", "/v1/chat/completions", body(true), headers);
    ASSERT_EQ(c.read_head().status, 200);
    for (int i = 0; i < 10; ++i) ASSERT_FALSE(c.next_sse_data().empty());
    EXPECT_EQ(upstream.open_streams(), 1);
  }  // the client goes away
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (upstream.open_streams() > 0 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  EXPECT_EQ(upstream.open_streams(), 0) << "the upstream stream is closed";
  s.process->signal(SIGTERM);
  EXPECT_EQ(s.process->wait_exit(), 0);
  EXPECT_EQ(ledger_statuses(dir.path() + "/ledger.db", "endless"), std::vector<int>{499});
}

// Nothing listens on the only endpoint: a clean 502 at once, one ledger record.
TEST(UpstreamFaults, ARefusedConnectionIsACleanError) {
  int port = 0;
  {
    FaultUpstream gone(Fault::kHealthy);
    port = gone.port();
  }  // closed: connections to it are refused
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {port};
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  auto headers = bearer(kAcmeKey);
  headers["X-Request-Id"] = "refused";
  const HttpResponse r = http(s.port, "POST", "/v1/chat/completions", body(false), headers);
  EXPECT_TRUE(r.status == 502 || r.status == 503) << r.status << " " << r.body;
  EXPECT_NE(r.body.find("\"error\":{\"message\":"), std::string::npos) << r.body;
  s.process->signal(SIGTERM);
  EXPECT_EQ(s.process->wait_exit(), 0);
  EXPECT_EQ(ledger_statuses(dir.path() + "/ledger.db", "refused"), std::vector<int>{r.status});
}

// Three failures in a row (requests or health checks) take the endpoint out: readyz says so and
// requests get 503 at once without reaching it. Once it answers its health checks again it is
// back in rotation.
TEST(UpstreamHealth, AFailingEndpointIsEjectedAndComesBack) {
  FaultUpstream upstream(Fault::kResetBeforeAnswer);
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  for (int i = 0; i < 10 && http(s.port, "GET", "/readyz").status != 503; ++i) {
    const int status =
        http(s.port, "POST", "/v1/chat/completions", body(false), bearer(kAcmeKey)).status;
    EXPECT_TRUE(status == 502 || status == 503) << status;
  }
  EXPECT_EQ(http(s.port, "GET", "/readyz").status, 503);
  EXPECT_LE(upstream.completions(), 3);
  const int before = upstream.completions();
  const HttpResponse refused =
      http(s.port, "POST", "/v1/chat/completions", body(false), bearer(kAcmeKey));
  EXPECT_EQ(refused.status, 503) << refused.body;
  EXPECT_NE(refused.body.find("\"error\":{"), std::string::npos);
  EXPECT_EQ(upstream.completions(), before);  // the ejected endpoint is not tried
  upstream.set(Fault::kHealthy);
  int status = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  while (status != 200 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(200));
    status = http(s.port, "POST", "/v1/chat/completions", body(false), bearer(kAcmeKey)).status;
  }
  EXPECT_EQ(status, 200);
  EXPECT_EQ(http(s.port, "GET", "/readyz").status, 200);
}

}  // namespace
}  // namespace accord::testing
