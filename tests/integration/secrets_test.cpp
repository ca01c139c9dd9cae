// Keys are secrets: no log line, access-log line, metric, error message, report or dashboard
// figure ever carries one (only key ids), whether the key was valid or not.
#include <gtest/gtest.h>
#include <signal.h>

#include <fstream>
#include <sstream>

#include "agreements.h"
#include "core/clock.h"
#include "core/rfc3339.h"
#include "harness.h"

namespace accord::testing {
namespace {

TEST(Secrets, KeysAppearInNoLogMetricErrorOrReport) {
  TempDir dir;
  const std::string config = dir.write("a.yaml", agreement_yaml(TestAgreement{}, dir));
  Served s = start_serve(config, {"--workers", "1", "--access-log", "stderr"});
  const std::string wrong = "sk-not-a-key-but-a-secret-0123456789";
  const std::string chat =
      R"({"model":"m-local","messages":[{"role":"user","content":"hi"}],"max_tokens":2})";
  std::string seen;
  auto keep = [&](const HttpResponse& r) {
    seen += r.body;
    for (const auto& [k, v] : r.headers) seen += k + ": " + v + "\n";
    return r.status;
  };
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

}  // namespace
}  // namespace accord::testing
