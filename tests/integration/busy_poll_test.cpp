// Busy polling (server.busy_poll_us): a loop that polls between requests serves them as usual,
// and the batch ledger writer, which runs only on the loops' idle time, keeps committing while a
// loop polls through the gaps between requests on the same core (a loop that never slept would
// starve it until back-pressure stopped admission). Whether the loop polls here depends on the
// machine (it does not while other processes take its core: PollGovernor); the ledger must keep
// up either way. busy_poll_test.cpp and poll_governor_test.cpp check when a loop polls.
#include <gtest/gtest.h>
#include <sched.h>
#include <signal.h>

#include <chrono>

#include "agreements.h"
#include "fault_upstream.h"
#include "harness.h"

namespace accord::testing {
namespace {

// Starts `accord serve` on one core (its event loop and its ledger writer share it): the child
// keeps the affinity of the thread that starts it, which gets its own back afterwards.
Served serve_on_one_core(const std::string& config) {
  cpu_set_t all;
  CPU_ZERO(&all);
  EXPECT_EQ(sched_getaffinity(0, sizeof all, &all), 0);
  cpu_set_t one;
  CPU_ZERO(&one);
  for (int cpu = 0; cpu < CPU_SETSIZE; ++cpu) {
    if (CPU_ISSET(cpu, &all)) {
      CPU_SET(cpu, &one);
      break;
    }
  }
  EXPECT_EQ(sched_setaffinity(0, sizeof one, &one), 0);
  Served s = start_serve(config, {"--workers", "1"});
  EXPECT_EQ(sched_setaffinity(0, sizeof all, &all), 0);
  return s;
}

TEST(BusyPoll, TheLedgerKeepsCommittingWhileTheLoopPollsOnItsCore) {
  FaultUpstream upstream(Fault::kHealthy);
  TempDir dir;
  TestAgreement t;
  t.upstream_ports = {upstream.port()};
  t.server = "busy_poll_us: 10000";  // the longest: it may poll through any gap under 10 ms
  std::string yaml = agreement_yaml(t, dir);
  const std::string ledger_line_end = "ledger.db\" }";
  ASSERT_NE(yaml.find(ledger_line_end), std::string::npos) << yaml;
  yaml.replace(yaml.find(ledger_line_end), ledger_line_end.size(),
               "ledger.db\", flush_interval_ms: 1 }");  // a commit due every millisecond
  Served s = serve_on_one_core(dir.write("a.yaml", yaml));
  const std::string ledger = dir.path() + "/ledger.db";
  const std::string chat =
      R"({"model":"m-up","messages":[{"role":"user","content":"hi"}],"max_tokens":8})";
  HttpConnection c(s.port);
  ASSERT_TRUE(c.connected());
  // Requests back to back on one keep-alive connection, the ledger read every 25. The first
  // commit can come from the writer's start (a normal share); the later ones need the idle time
  // the polling loop gives way with. A starved writer still gets SCHED_IDLE's sliver of the core
  // (a commit every few hundred milliseconds); one given way to commits about every millisecond,
  // so its rows grow at nearly every reading.
  int64_t rows = 0;
  int sent = 0;
  int after_first = 0;
  int grew = 0;
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (grew < 5 && after_first < 1'000 && std::chrono::steady_clock::now() < give_up) {
    c.send_request("POST", "/v1/chat/completions", chat,
                   {{"Authorization", "Bearer " + kAcmeKey}, {"Content-Type", "application/json"}});
    const HttpResponse r = c.read_response();
    ASSERT_EQ(r.status, 200) << r.body;
    ++sent;
    if (rows > 0) ++after_first;
    if (sent % 25 != 0) continue;
    const int64_t now = count_rows(ledger, "status = 200");
    if (rows > 0 && now > rows) ++grew;
    rows = now;
  }
  EXPECT_GE(grew, 5) << sent << " requests; after the first commit the ledger grew at " << grew
                     << " of " << after_first / 25 << " readings";
  // Everything answered is recorded once the gateway drains.
  s.process->signal(SIGTERM);
  ASSERT_EQ(s.process->wait_exit(), 0);
  EXPECT_EQ(count_rows(ledger, "status = 200"), sent);
}

}  // namespace
}  // namespace accord::testing
