// accord-ledger-bench: how many usage records per second the ledger commits to SQLite.
// Appends N records from T threads as fast as they can, then waits for the last commit; prints
// records/s from the first append to the last commit.
//
//   accord-ledger-bench --records 2000000 --threads 2 --durability batch --path /tmp/x.db
#include <fmt/format.h>
#include <CLI/CLI.hpp>

#include <chrono>
#include <filesystem>
#include <thread>

#include "agreement/loader.h"
#include "ledger/ledger.h"

int main(int argc, char** argv) {
  using namespace accord;
  int64_t records = 2'000'000;
  int threads = 2;
  std::string durability = "batch";
  std::string path = "/tmp/accord-ledger-bench.db";
  std::string config;
  CLI::App app{"accord-ledger-bench: usage records committed per second"};
  app.add_option("--records", records)->capture_default_str();
  app.add_option("--threads", threads)->capture_default_str();
  app.add_option("--durability", durability)->check(CLI::IsMember({"batch", "strict"}));
  app.add_option("--path", path)->capture_default_str();
  app.add_option("--config", config, "An agreement for the names (default: examples/demo.yaml)");
  CLI11_PARSE(app, argc, argv);

  std::filesystem::remove(path);
  std::filesystem::remove(path + "-wal");
  std::filesystem::remove(path + "-shm");
  const LoadResult loaded = load_agreement_file(
      config.empty() ? std::string(ACCORD_SOURCE_DIR "/examples/demo.yaml") : config);
  if (!loaded.ok()) {
    fmt::print(stderr, "cannot load the agreement\n");
    return 1;
  }
  auto store = open_sqlite_store({path, durability == "strict"});
  if (!store.ok()) {
    fmt::print(stderr, "{}\n", store.error().message);
    return 1;
  }
  LedgerOptions options;
  options.durability = durability == "strict" ? Durability::kStrict : Durability::kBatch;
  options.queue_capacity = static_cast<size_t>(records) + 1;
  Ledger ledger(std::move(store.value()), options);

  UsageRecord base;
  base.agreement = loaded.agreement;
  base.time_ms = SystemClock::instance().wall_now();
  base.key = 0;
  base.party = 2;
  base.model = 0;
  base.pool = 0;
  base.status = 200;
  base.prompt_tokens = 812;
  base.completion_tokens = 231;
  base.queue_ms = 1.5;
  base.ttft_ms = 120.25;
  base.total_ms = 2400.5;
  base.list_cost_micro_usd = 4340;
  base.cost_micro_usd = 3689;

  const auto start = std::chrono::steady_clock::now();
  std::vector<std::thread> writers;
  for (int t = 0; t < threads; ++t) {
    writers.emplace_back([&, t] {
      for (int64_t i = t; i < records; i += threads) {
        UsageRecord r = base;
        r.request_id = RequestId(fmt::format("req_{:016x}", i));
        r.time_ms += i;
        ledger.append(std::move(r));
      }
    });
  }
  for (auto& w : writers) w.join();
  const auto appended = std::chrono::steady_clock::now();
  if (!ledger.flush(600'000)) {
    fmt::print(stderr, "the ledger did not commit everything\n");
    return 1;
  }
  const auto end = std::chrono::steady_clock::now();
  const double seconds = std::chrono::duration<double>(end - start).count();
  const LedgerStats s = ledger.stats();
  fmt::print(
      "{} records ({} durability) in {:.2f} s: {:.0f} records/s committed "
      "({} commits, {:.0f} ms in SQLite; appending alone {:.0f} records/s)\n",
      records, durability, seconds, static_cast<double>(records) / seconds, s.commits,
      s.commit_ms_total,
      static_cast<double>(records) / std::chrono::duration<double>(appended - start).count());
  return 0;
}
