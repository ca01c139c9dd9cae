// The ledger end to end: what the client counted is what the report says, token for token and
// micro-dollar for micro-dollar; a party reads only its own figures; a gateway killed in the
// middle of load (strict durability) has every answered request in its ledger exactly once.
#include <gtest/gtest.h>
#include <signal.h>
#include <simdjson.h>
#include <sqlite3.h>

#include <atomic>
#include <chrono>
#include <cstdio>
#include <map>
#include <mutex>
#include <set>
#include <thread>
#include <vector>

#include "agreements.h"
#include "core/crypto.h"
#include "core/rfc3339.h"
#include "fault_upstream.h"
#include "harness.h"

namespace accord::testing {
namespace {

std::string agreement(const TempDir& dir, const std::string& durability) {
  return R"(parties:
  lab: { role: provider }
  ops: { role: operator }
  copilot: { role: customer, tier: preferred, discount_percent: 10 }
  acme: { role: customer, tier: standard, rpm: 6 }
tiers:
  preferred: { weight: 1 }
  standard: { weight: 1 }
models:
  m:
    owner: lab
    pool: p
    price: { input_per_mtok: 1000, output_per_mtok: 2000 }
    revenue_share: { lab: 0.75, ops: 0.25 }
pools:
  p: { engine: builtin, gpu: h100, gpus: 1, model_params_b: 8 }
keys:
  - { id: copilot-key, party: copilot, sha256: ")" +
         to_hex(sha256(kCopilotKey)) + R"(" }
  - { id: acme-key, party: acme, sha256: ")" +
         to_hex(sha256(kAcmeKey)) + R"(" }
  - { id: ops-key, party: ops, sha256: ")" +
         to_hex(sha256(kCloudKey)) + R"(" }
ledger: { path: ")" +
         dir.path() + "/ledger.db\", durability: " + durability + " }\n";
}

// What the client saw of one party.
struct Counted {
  int64_t requests = 0, failed = 0, prompt = 0, completion = 0, micro_usd = 0;
};

int64_t field(const std::string& json, const std::string& name) {
  const size_t at = json.rfind("\"" + name + "\":");
  return at == std::string::npos ? -1 : std::atoll(json.c_str() + at + name.size() + 3);
}

std::string run_stdout(const std::string& command) {
  std::string out;
  FILE* p = popen(command.c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

std::string this_month() {
  return format_rfc3339(SystemClock::instance().wall_now()).substr(0, 7);
}

TEST(LedgerEndToEnd, TheReportMatchesWhatTheClientCounted) {
  TempDir dir;
  const std::string config = dir.write("a.yaml", agreement(dir, "batch"));
  Served s = start_serve(config, {"--workers", "2"});
  std::map<std::string, Counted> counted;
  auto count = [&](const std::string& party, const std::string& key, const HttpResponse& r,
                   int64_t discount_percent) {
    Counted& c = counted[party];
    ++c.requests;
    if (r.status != 200) {
      ++c.failed;
      return;
    }
    const int64_t p = field(r.body, "prompt_tokens");
    const int64_t q = field(r.body, "completion_tokens");
    ASSERT_GE(p, 0) << r.body;
    c.prompt += p;
    c.completion += q;
    c.micro_usd += (p * 1000 + q * 2000) * (100 - discount_percent) / 100;
    (void)key;
  };
  const std::string chat =
      R"({"model":"m","messages":[{"role":"user","content":"Hello there"}],"max_tokens":7})";
  for (int i = 0; i < 5; ++i) {
    count("copilot", kCopilotKey,
          http(s.port, "POST", "/v1/chat/completions", chat, bearer(kCopilotKey)), 10);
  }
  for (int i = 0; i < 3; ++i) {  // streams: usage from the final usage chunk
    const HttpResponse r = http(
        s.port, "POST", "/v1/chat/completions",
        R"({"model":"m","messages":[{"role":"user","content":"Stream"}],"max_tokens":5,"stream":true,"stream_options":{"include_usage":true}})",
        bearer(kCopilotKey));
    count("copilot", kCopilotKey, r, 10);
  }
  for (int i = 0; i < 2; ++i) {
    count("copilot", kCopilotKey,
          http(s.port, "POST", "/v1/completions",
               R"({"model":"m","prompt":"Once upon","max_tokens":4})", bearer(kCopilotKey)),
          10);
  }
  count("copilot", kCopilotKey,
        http(s.port, "POST", "/v1/chat/completions",
             R"({"model":"m","messages":[{"role":"user","content":"Two"}],"max_tokens":3,"n":2})",
             bearer(kCopilotKey)),
        10);
  for (int i = 0; i < 7; ++i) {  // the 7th is over acme's 6 per minute: refused, billed nothing
    count("acme", kAcmeKey, http(s.port, "POST", "/v1/chat/completions", chat, bearer(kAcmeKey)),
          0);
  }
  EXPECT_EQ(counted["acme"].failed, 1);
  // Requests that never name a model (401 here) are recorded too, but belong to no usage line.
  EXPECT_EQ(http(s.port, "POST", "/v1/chat/completions", chat, bearer("sk-nobody")).status, 401);

  s.process->signal(SIGTERM);  // drains, and commits the ledger
  ASSERT_EQ(s.process->wait_exit(), 0);

  const std::string json = run_stdout(accord_binary() + " report --config " + config +
                                      " --period " + this_month() + " --format json");
  simdjson::dom::parser parser;
  simdjson::dom::element report;
  ASSERT_EQ(parser.parse(json).get(report), simdjson::SUCCESS) << json;
  std::map<std::string, Counted> reported;
  for (simdjson::dom::element u : report["usage"].get_array()) {
    Counted& c = reported[std::string(u["party"].get_string().value())];
    c.requests += u["requests"].get_int64().value();
    c.failed += u["failed"].get_int64().value();
    c.prompt += u["prompt_tokens"].get_int64().value();
    c.completion += u["completion_tokens"].get_int64().value();
    c.micro_usd += u["net_micro_usd"].get_int64().value();
  }
  for (const char* party : {"copilot", "acme"}) {
    SCOPED_TRACE(party);
    EXPECT_EQ(reported[party].requests, counted[party].requests);
    EXPECT_EQ(reported[party].failed, counted[party].failed);
    EXPECT_EQ(reported[party].prompt, counted[party].prompt);
    EXPECT_EQ(reported[party].completion, counted[party].completion);
    EXPECT_EQ(reported[party].micro_usd, counted[party].micro_usd);
  }
  // Settlement: owed is what was counted (no reservation, no credit); revenue splits 75/25 and
  // the parts add up to the whole.
  int64_t owed = 0, revenue = 0;
  for (simdjson::dom::element line : report["settlement"].get_array()) {
    owed += line["owed_micro_usd"].get_int64().value();
  }
  for (simdjson::dom::element line : report["revenue"].get_array()) {
    revenue += line["amount_micro_usd"].get_int64().value();
  }
  EXPECT_EQ(owed, counted["copilot"].micro_usd + counted["acme"].micro_usd);
  EXPECT_EQ(revenue, owed);
  EXPECT_EQ(report["owed_total_micro_usd"].get_int64().value(), owed);
  // The other formats render too.
  EXPECT_NE(run_stdout(accord_binary() + " report --config " + config + " --period " +
                       this_month() + " --format html")
                .find("<svg"),
            std::string::npos);
}

TEST(LedgerEndToEnd, APartyReadsOnlyItsOwnUsage) {
  TempDir dir;
  Served s = start_serve(dir.write("a.yaml", agreement(dir, "batch")), {"--workers", "1"});
  const std::string chat =
      R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":2})";
  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat, bearer(kCopilotKey)).status, 200);
  ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat, bearer(kAcmeKey)).status, 200);
  // Its own usage, whatever it asks for.
  HttpResponse r = http(s.port, "GET", "/v1/usage?party=copilot", "", bearer(kAcmeKey));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"party\":\"acme\""), std::string::npos) << r.body;
  EXPECT_EQ(r.body.find("copilot"), std::string::npos) << r.body;
  EXPECT_EQ(field(r.body, "requests"), 1);
  // Everyone's figures are for operators only.
  for (const char* path : {"/admin/usage", "/admin/sla", "/admin/settlement"}) {
    EXPECT_EQ(http(s.port, "GET", path, "", bearer(kAcmeKey)).status, 403) << path;
    EXPECT_EQ(http(s.port, "GET", path, "", {}).status, 401) << path;
  }
  r = http(s.port, "GET", "/admin/usage?period=" + this_month(), "", bearer(kCloudKey));
  ASSERT_EQ(r.status, 200) << r.body;
  EXPECT_NE(r.body.find("\"party\":\"acme\""), std::string::npos);
  EXPECT_NE(r.body.find("\"party\":\"copilot\""), std::string::npos);
  r = http(s.port, "GET", "/admin/settlement", "", bearer(kCloudKey));
  ASSERT_EQ(r.status, 200);
  EXPECT_NE(r.body.find("\"revenue\""), std::string::npos);
  EXPECT_EQ(http(s.port, "GET", "/admin/usage?period=2026-13", "", bearer(kCloudKey)).status, 400);
}

// An upstream that read 3 of a request's 5 prompt tokens from its prompt cache: those 3 are billed
// at the cached input price, in the ledger row and in the customer's usage; TPM counts all 5.
TEST(LedgerEndToEnd, CachedPromptTokensAreBilledAtTheCachedPrice) {
  FaultUpstream upstream(Fault::kHealthy);
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  t.extra_models =
      "  m-cached: { owner: lab, pool: up, price: { input_per_mtok: 2, output_per_mtok: 8, "
      "cached_input_per_mtok: 0.5 } }\n";
  Served s = start_serve(dir.write("a.yaml", agreement_yaml(t, dir)), {"--workers", "1"});
  for (const bool stream : {false, true}) {
    const std::string chat = std::string(R"({"model":"m-cached","stream":)") +
                             (stream ? "true" : "false") +
                             R"(,"messages":[{"role":"user","content":"Hi"}]})";
    ASSERT_EQ(http(s.port, "POST", "/v1/chat/completions", chat, bearer(kAcmeKey)).status, 200);
  }
  const HttpResponse usage = http(s.port, "GET", "/v1/usage", "", bearer(kAcmeKey));
  ASSERT_EQ(usage.status, 200) << usage.body;
  EXPECT_EQ(field(usage.body, "input_tokens"), 10) << usage.body;
  EXPECT_EQ(field(usage.body, "cached_input_tokens"), 6) << usage.body;
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0);
  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/ledger.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* st = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db,
                               "SELECT prompt_tokens, cached_prompt_tokens, completion_tokens, "
                               "cost_micro_usd FROM usage WHERE model = 'm-cached'",
                               -1, &st, nullptr),
            SQLITE_OK);
  int rows = 0;
  while (sqlite3_step(st) == SQLITE_ROW) {
    ++rows;
    EXPECT_EQ(sqlite3_column_int64(st, 0), 5);
    EXPECT_EQ(sqlite3_column_int64(st, 1), 3);
    EXPECT_EQ(sqlite3_column_int64(st, 2), 1);
    // 2 uncached × $2/M + 3 cached × $0.50/M + 1 out × $8/M = 13.5 µ$, rounded half up.
    EXPECT_EQ(sqlite3_column_int64(st, 3), 14);
  }
  EXPECT_EQ(rows, 2);
  sqlite3_finalize(st);
  sqlite3_close(db);
}

// Another process holds the ledger's write lock, so accord cannot commit: once its writer gives
// up waiting (SQLite's busy timeout), new requests are refused with 503 rather than served
// unbilled. When the lock is released, accord serves again and every request it answered is in
// the ledger exactly once. (The bounds below are failure bounds, not timings.)
TEST(LedgerEndToEnd, RefusesWhileTheLedgerCannotBeWrittenAndLosesNothing) {
  TempDir dir;
  const std::string db_path = dir.path() + "/ledger.db";
  Served s = start_serve(dir.write("a.yaml", agreement(dir, "batch")), {"--workers", "1"});
  const std::string chat =
      R"({"model":"m","messages":[{"role":"user","content":"Hi"}],"max_tokens":2})";
  auto send = [&](const std::string& id) {
    auto headers = bearer(kCopilotKey);
    headers["X-Request-Id"] = id;
    return http(s.port, "POST", "/v1/chat/completions", chat, headers);
  };
  ASSERT_EQ(send("lock-before").status, 200);
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (count_rows(db_path, "request_id = 'lock-before'") != 1 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  ASSERT_EQ(count_rows(db_path, "request_id = 'lock-before'"), 1);

  sqlite3* locker = nullptr;
  ASSERT_EQ(sqlite3_open(db_path.c_str(), &locker), SQLITE_OK);
  ASSERT_EQ(sqlite3_exec(locker, "BEGIN EXCLUSIVE", nullptr, nullptr, nullptr), SQLITE_OK);
  std::vector<std::string> answered{"lock-before"};
  HttpResponse refused;
  for (int i = 0; std::chrono::steady_clock::now() < give_up; ++i) {
    const std::string id = "lock-" + std::to_string(i);
    HttpResponse r = send(id);
    if (r.status == 200) answered.push_back(id);
    if (r.status == 503) {
      refused = r;
      break;
    }
    ASSERT_EQ(r.status, 200) << r.body;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  ASSERT_EQ(refused.status, 503);
  EXPECT_NE(refused.body.find("ledger cannot be written"), std::string::npos) << refused.body;
  EXPECT_NE(refused.body.find("\"type\":\"server_error\""), std::string::npos) << refused.body;

  sqlite3_exec(locker, "ROLLBACK", nullptr, nullptr, nullptr);
  sqlite3_close(locker);
  int status = 0;
  while (status != 200 && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    status = send("lock-after").status;
  }
  ASSERT_EQ(status, 200);
  answered.push_back("lock-after");
  s.process->signal(SIGTERM);
  s.process->wait_exit();
  for (const std::string& id : answered) {
    if (id == "lock-after") continue;  // refusals before it share its id
    EXPECT_EQ(count_rows(db_path, "request_id = '" + id + "'"), 1) << id;
  }
  EXPECT_EQ(count_rows(db_path, "request_id = 'lock-after' AND status = 200"), 1);
}

// Strict durability: the gateway is killed (SIGKILL) in the middle of load. Restarted on the same
// ledger it serves again, the database is intact, and every request whose client received a
// complete answer is in the ledger exactly once.
TEST(LedgerEndToEnd, KilledUnderLoadLosesNoAnsweredRequest) {
  TempDir dir;
  const std::string config = dir.write("a.yaml", agreement(dir, "strict"));
  Served s = start_serve(config, {"--workers", "2"});
  std::mutex mu;
  std::set<std::string> answered;
  std::atomic<bool> stop{false};
  std::atomic<int> sent{0};
  std::vector<std::thread> clients;
  for (int t = 0; t < 8; ++t) {
    clients.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const std::string id = "crash-" + std::to_string(t) + "-" + std::to_string(i);
        auto headers = bearer(kCopilotKey);
        headers["X-Request-Id"] = id;
        const bool stream = i % 2 == 0;
        HttpConnection c(s.port);
        if (!c.connected()) return;
        c.send_request(
            "POST", "/v1/chat/completions",
            std::string(
                R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":3)") +
                (stream ? R"(,"stream":true})" : "}"),
            headers);
        ++sent;
        const HttpResponse r = c.read_response(10'000);
        const bool complete =
            r.status == 200 && (stream ? r.body.find("data: [DONE]") != std::string::npos
                                       : r.body.find("\"usage\"") != std::string::npos);
        if (complete) {
          std::lock_guard lock(mu);
          answered.insert(id);
        }
      }
    });
  }
  while (sent.load() < 300) std::this_thread::yield();
  s.process->signal(SIGKILL);
  s.process->wait_exit();
  stop.store(true);
  for (auto& c : clients) c.join();
  ASSERT_GT(answered.size(), 100u);

  // Restarted on the same ledger, it serves.
  Served again = start_serve(config, {"--workers", "1"});
  EXPECT_EQ(http(again.port, "POST", "/v1/chat/completions",
                 R"({"model":"m","messages":[{"role":"user","content":"x"}],"max_tokens":2})",
                 bearer(kAcmeKey))
                .status,
            200);
  again.process->signal(SIGTERM);
  again.process->wait_exit();

  sqlite3* db = nullptr;
  ASSERT_EQ(sqlite3_open((dir.path() + "/ledger.db").c_str(), &db), SQLITE_OK);
  sqlite3_stmt* stmt = nullptr;
  ASSERT_EQ(sqlite3_prepare_v2(db, "PRAGMA integrity_check", -1, &stmt, nullptr), SQLITE_OK);
  ASSERT_EQ(sqlite3_step(stmt), SQLITE_ROW);
  EXPECT_STREQ(reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0)), "ok");
  sqlite3_finalize(stmt);
  std::map<std::string, int> in_ledger;
  ASSERT_EQ(sqlite3_prepare_v2(db, "SELECT request_id FROM usage WHERE request_id LIKE 'crash-%'",
                               -1, &stmt, nullptr),
            SQLITE_OK);
  while (sqlite3_step(stmt) == SQLITE_ROW) {
    ++in_ledger[reinterpret_cast<const char*>(sqlite3_column_text(stmt, 0))];
  }
  sqlite3_finalize(stmt);
  sqlite3_close(db);
  for (const std::string& id : answered) {
    EXPECT_EQ(in_ledger[id], 1) << id << " was answered but is in the ledger " << in_ledger[id]
                                << " times";
  }
  for (const auto& [id, n] : in_ledger) EXPECT_EQ(n, 1) << id;
}

}  // namespace
}  // namespace accord::testing
