// Keys are secrets: no log line, access-log line, metric, error message, report or dashboard
// figure ever carries one (only key ids), whether the key was valid or not. Nor do they carry the
// upstreams' own keys (api_key_env, api_key_file), whichever provider's header sends them, even
// when an upstream repeats the key in its refusal.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "agreements.h"
#include "core/clock.h"
#include "core/rfc3339.h"
#include "harness.h"
#include "recording_upstream.h"

namespace accord::testing {
namespace {

// Appends what a client saw of `r` (its body and headers) to `seen`; its status.
int kept(const HttpResponse& r, std::string& seen) {
  seen += r.body;
  for (const auto& [k, v] : r.headers) seen += k + ": " + v + "\n";
  return r.status;
}

TEST(Secrets, KeysAppearInNoLogMetricErrorOrReport) {
  TempDir dir;
  const std::string config = dir.write("a.yaml", agreement_yaml(TestAgreement{}, dir));
  Served s = start_serve(config, {"--workers", "1", "--access-log", "stderr"});
  const std::string wrong = "sk-not-a-key-but-a-secret-0123456789";
  const std::string chat =
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
  std::string seen;
  auto keep = [&seen](const HttpResponse& r) { return kept(r, seen); };
  EXPECT_EQ(keep(http(s.port, "POST", "/v1/chat/completions", chat, bearer(kAcmeKey))), 200);
  EXPECT_EQ(keep(http(s.port, "POST", "/v1/chat/completions", chat, bearer(wrong))), 401);
  EXPECT_EQ(keep(http(s.port, "POST", "/v1/chat/completions", chat, {{"Authorization", wrong}})),
            401);
  EXPECT_EQ(keep(http(s.port, "GET", "/metrics", "", bearer(kAcmeKey))), 403);
  EXPECT_EQ(keep(http(s.port, "POST", "/admin/reload", "", bearer(kAcmeKey))), 403);
  EXPECT_EQ(keep(http(s.port, "POST", "/admin/reload", "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/metrics", "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/dashboard/data", "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/admin/usage", "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/v1/usage", "", bearer(kAcmeKey))), 200);
  s.process->signal(SIGTERM);
  EXPECT_EQ(s.process->wait_exit(), 0);
  const std::string& logs = s.process->captured();
  EXPECT_NE(logs.find("\"key_id\":\"acme-key\""), std::string::npos)
      << "the access log names the key id";
  for (const std::string& secret : {kAcmeKey, kCloudKey, wrong}) {
    EXPECT_EQ(logs.find(secret), std::string::npos) << "in the logs: " << secret;
    EXPECT_EQ(seen.find(secret), std::string::npos) << "in a response: " << secret;
    EXPECT_EQ(seen.find(secret.substr(0, 20)), std::string::npos) << "a prefix in a response";
  }
  // The ledger and its report name key ids only.
  std::string report;
  const std::string month = format_rfc3339(SystemClock::instance().wall_now()).substr(0, 7);
  FILE* p = popen((std::string(ACCORD_BIN) + " report --config " + config + " --period " + month +
                   " --format csv 2>&1")
                      .c_str(),
                  "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) report.append(buf, n);
  pclose(p);
  EXPECT_NE(report.find("acme"), std::string::npos) << report;
  for (const std::string& secret : {kAcmeKey, kCloudKey, wrong}) {
    EXPECT_EQ(report.find(secret), std::string::npos);
  }
  std::ifstream db(dir.path() + "/ledger.db", std::ios::binary);
  std::stringstream bytes;
  bytes << db.rdbuf();
  for (const std::string& secret : {kAcmeKey, kCloudKey, wrong}) {
    EXPECT_EQ(bytes.str().find(secret), std::string::npos) << "in the ledger's file";
  }
}

// Everything a run wrote that anyone may read: responses (with their headers), the process's
// logs, the ledger's file and a report.
struct Exposed {
  std::string responses;
  std::string logs;
  std::string ledger;
  std::string report;
};

std::string read_all(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream bytes;
  bytes << in.rdbuf();
  return bytes.str();
}

std::string run_and_capture(const std::string& command) {
  std::string out;
  FILE* p = popen((command + " 2>&1").c_str(), "r");
  char buf[4096];
  size_t n;
  while ((n = fread(buf, 1, sizeof buf, p)) > 0) out.append(buf, n);
  pclose(p);
  return out;
}

TEST(Secrets, UpstreamKeysAppearInNoResponseLogLedgerOrReport) {
  struct Case {
    Dialect dialect;
    std::string pool_keys;  // provider and credential keys of pool "up"
    std::string key;
    std::string header;  // the header the upstream must get it in
  };
  TempDir dir;
  const std::string anthropic_key = "sk-ant-upstream-secret-7Hd2Kq9Lm4";
  const std::string openai_key = "sk-openai-upstream-secret-3Vb8Nw1Xc6";
  const std::string azure_key = "az-upstream-secret-5Tg6Jp2Rf0";
  setenv("ACCORD_TEST_AZURE_SECRET", azure_key.c_str(), 1);
  const Case cases[] = {
      {Dialect::kAnthropic,
       "provider: anthropic\n    api_key_file: \"" + dir.write("ant.key", anthropic_key + "\n") +
           "\"",
       anthropic_key, "x-api-key"},
      {Dialect::kOpenAi, "api_key_file: \"" + dir.write("oai.key", openai_key) + "\"", openai_key,
       "authorization"},
      {Dialect::kOpenAi,
       "provider: azure\n    api_version: 2024-10-21\n    api_key_env: ACCORD_TEST_AZURE_SECRET",
       azure_key, "api-key"},
  };
  for (const Case& c : cases) {
    RecordingUpstream upstream(c.dialect);
    TestAgreement t;
    t.upstream_ports = {upstream.port()};
    t.upstream_path = c.dialect == Dialect::kAnthropic || c.header == "api-key" ? "" : "/v1";
    t.up_extra = c.pool_keys;
    const std::string config = dir.write("a.yaml", agreement_yaml(t, dir));
    EXPECT_EQ(read_all(config).find(c.key), std::string::npos) << "the agreement holds no key";
    Served s = start_serve(config, {"--workers", "1", "--access-log", "stderr"});
    Exposed seen;
    auto keep = [&](const HttpResponse& r) {
      seen.responses += r.body;
      for (const auto& [k, v] : r.headers) seen.responses += k + ": " + v + "\n";
      return r.status;
    };
    const std::string chat =
        R"({"model":"m-up","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
    const std::string stream =
        R"({"model":"m-up","messages":[{"role":"user","content":"hi"}],"stream":true})";
    EXPECT_EQ(keep(http(s.port, "POST", "/v1/chat/completions", chat, bearer(kAcmeKey))), 200);
    EXPECT_EQ(keep(http(s.port, "POST", "/v1/chat/completions", stream, bearer(kAcmeKey))), 200);
    ASSERT_FALSE(upstream.posts().empty());
    EXPECT_NE(upstream.posts()[0].header(c.header).find(c.key), std::string::npos)
        << "the upstream got its key in " << c.header;
    upstream.refuse_with(401);  // and repeats the key it was sent
    EXPECT_NE(keep(http(s.port, "POST", "/v1/chat/completions", chat, bearer(kAcmeKey))), 200);
    upstream.refuse_with(503);
    EXPECT_NE(keep(http(s.port, "POST", "/v1/chat/completions", stream, bearer(kAcmeKey))), 200);
    EXPECT_EQ(keep(http(s.port, "POST", "/admin/reload", "", bearer(kCloudKey))), 200);
    EXPECT_EQ(keep(http(s.port, "GET", "/metrics", "", bearer(kCloudKey))), 200);
    EXPECT_EQ(keep(http(s.port, "GET", "/dashboard/data", "", bearer(kCloudKey))), 200);
    EXPECT_EQ(keep(http(s.port, "GET", "/admin/usage", "", bearer(kCloudKey))), 200);
    s.process->signal(SIGTERM);
    EXPECT_EQ(s.process->wait_exit(), 0);
    seen.logs = s.process->captured();
    seen.ledger = read_all(dir.path() + "/ledger.db");
    const std::string month = format_rfc3339(SystemClock::instance().wall_now()).substr(0, 7);
    seen.report = run_and_capture(std::string(ACCORD_BIN) + " report --config " + config +
                                  " --period " + month + " --format csv");
    EXPECT_NE(seen.report.find("acme"), std::string::npos) << seen.report;
    const std::string prefix = c.key.substr(0, 16);
    for (const auto& [what, text] :
         {std::pair<std::string, const std::string&>{"a response", seen.responses},
          {"the logs", seen.logs},
          {"the ledger", seen.ledger},
          {"the report", seen.report}}) {
      EXPECT_EQ(text.find(prefix), std::string::npos) << c.header << " key in " << what;
    }
  }
  unsetenv("ACCORD_TEST_AZURE_SECRET");
  // `accord check` names a key file it cannot use, never what the file holds.
  const std::string bad = dir.write("bad.key", "sk-check-secret-9Wd3Fz\nsecond line: not a key\n");
  TestAgreement t;
  t.upstream_ports = {9};
  t.up_extra = "api_key_file: \"" + bad + "\"";
  const std::string check = run_and_capture(std::string(ACCORD_BIN) + " check " +
                                            dir.write("c.yaml", agreement_yaml(t, dir)));
  EXPECT_NE(check.find("pools.up.api_key_file: " + bad + " holds a control character"),
            std::string::npos)
      << check;
  EXPECT_EQ(check.find("sk-check-secret"), std::string::npos) << check;
}

// A key made through the keys API is shown once, in the answer that makes it (or rotates it):
// no list, audit row, metric, log line, report or database file carries it.
TEST(Secrets, KeysMadeThroughTheApiAreShownOnlyInTheAnswerThatMakesThem) {
  TempDir dir;
  const std::string config = dir.write("a.yaml", agreement_yaml(TestAgreement{}, dir));
  Served s = start_serve(config, {"--workers", "1", "--access-log", "stderr"});
  const HttpResponse made =
      http(s.port, "POST", "/admin/keys", R"({"party":"acme","name":"s"})", bearer(kCloudKey));
  ASSERT_EQ(made.status, 201) << made.body;
  const auto secret_of = [](const std::string& body) {
    const size_t at = body.find(R"("key":")");
    return at == std::string::npos ? std::string() : body.substr(at + 7, 42);
  };
  const auto id_of = [](const std::string& body) {
    const size_t at = body.find(R"("id":")");
    return body.substr(at + 6, body.find('"', at + 6) - at - 6);
  };
  const std::string first = secret_of(made.body);
  const std::string id = id_of(made.body);
  ASSERT_EQ(first.rfind("sk-accord-", 0), 0u) << made.body;
  const std::string chat =
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
  std::string seen;
  auto keep = [&seen](const HttpResponse& r) { return kept(r, seen); };
  EXPECT_EQ(keep(http(s.port, "POST", "/v1/chat/completions", chat, bearer(first))), 200);
  const HttpResponse rotated = http(s.port, "POST", "/admin/keys/" + id + "/rotate",
                                    R"({"grace_seconds":60})", bearer(kCloudKey));
  ASSERT_EQ(rotated.status, 200);
  const std::string second = secret_of(rotated.body);
  EXPECT_EQ(keep(http(s.port, "POST", "/v1/chat/completions", chat, bearer(second))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/admin/keys", "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/admin/audit", "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/metrics", "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/dashboard/data", "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "GET", "/v1/usage", "", bearer(second))), 200);
  EXPECT_EQ(keep(http(s.port, "DELETE", "/admin/keys/" + id, "", bearer(kCloudKey))), 200);
  EXPECT_EQ(keep(http(s.port, "POST", "/v1/chat/completions", chat, bearer(second))), 401);
  s.process->signal(SIGTERM);
  EXPECT_EQ(s.process->wait_exit(), 0);
  const std::string month = format_rfc3339(SystemClock::instance().wall_now()).substr(0, 7);
  const std::string report = run_and_capture(std::string(ACCORD_BIN) + " report --config " +
                                             config + " --period " + month + " --format csv");
  EXPECT_NE(report.find("acme"), std::string::npos) << report;
  const std::string ledger =
      read_all(dir.path() + "/ledger.db") + read_all(dir.path() + "/ledger.db-wal");
  for (const std::string& secret : {first, second}) {
    EXPECT_EQ(seen.find(secret.substr(0, 20)), std::string::npos) << "in a response";
    EXPECT_EQ(s.process->captured().find(secret), std::string::npos) << "in the logs";
    EXPECT_EQ(report.find(secret), std::string::npos) << "in the report";
    EXPECT_EQ(ledger.find(secret), std::string::npos) << "in the ledger's file";
  }
}

}  // namespace
}  // namespace accord::testing
