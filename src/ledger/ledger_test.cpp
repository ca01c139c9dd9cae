#include "ledger/ledger.h"

#include <gtest/gtest.h>
#include <sched.h>
#include <sqlite3.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <thread>

#include "agreement/loader.h"

namespace accord {
namespace {

class TempDb {
 public:
  TempDb() {
    std::string tmpl = (std::filesystem::temp_directory_path() / "ledger-XXXXXX").string();
    dir_ = mkdtemp(tmpl.data());
    path_ = dir_ + "/ledger.db";
  }
  ~TempDb() { std::filesystem::remove_all(dir_); }
  const std::string& path() const { return path_; }

  int64_t query(const std::string& sql) const {
    sqlite3* db = nullptr;
    sqlite3_open(path_.c_str(), &db);
    sqlite3_stmt* stmt = nullptr;
    int64_t value = -1;
    if (sqlite3_prepare_v2(db, sql.c_str(), -1, &stmt, nullptr) == SQLITE_OK &&
        sqlite3_step(stmt) == SQLITE_ROW) {
      value = sqlite3_column_int64(stmt, 0);
    }
    sqlite3_finalize(stmt);
    sqlite3_close(db);
    return value;
  }

 private:
  std::string dir_;
  std::string path_;
};

std::shared_ptr<const Agreement> demo() {
  static auto a = load_agreement_file(ACCORD_SOURCE_DIR "/examples/demo.yaml").agreement;
  return a;
}

UsageRecord record(int i) {
  UsageRecord r;
  r.agreement = demo();
  r.time_ms = 1'790'000'000'000 + i;
  r.request_id = RequestId("req-" + std::to_string(i));
  r.key = 0;
  r.party = *demo()->find_party("copilot");
  r.model = *demo()->find_model("frontier-2");
  r.pool = 0;
  r.status = 200;
  r.prompt_tokens = 10;
  r.completion_tokens = i;
  r.cost_micro_usd = i;
  r.list_cost_micro_usd = i;
  return r;
}

std::unique_ptr<LedgerStore> sqlite(const std::string& path, bool full = false) {
  auto store = open_sqlite_store({path, full});
  EXPECT_TRUE(store.ok()) << store.error().message;
  return std::move(store.value());
}

TEST(Ledger, CommitsEveryRecordOnceInOrder) {
  TempDb db;
  {
    Ledger ledger(sqlite(db.path()), LedgerOptions{});
    for (int i = 1; i <= 10'000; ++i) ledger.append(record(i));
    ASSERT_TRUE(ledger.flush(10'000));
    EXPECT_TRUE(ledger.committed(10'000));
    EXPECT_GE(ledger.stats().commits, 2u);  // grouped in batches
  }
  EXPECT_EQ(db.query("SELECT count(*) FROM usage"), 10'000);
  EXPECT_EQ(db.query("SELECT count(DISTINCT request_id) FROM usage"), 10'000);
  EXPECT_EQ(db.query("SELECT sum(completion_tokens) FROM usage"), 10'000LL * 10'001 / 2);
  EXPECT_EQ(db.query("SELECT max(version) FROM schema_version"), kLedgerSchemaVersion);
  // Ids follow the order of appends.
  EXPECT_EQ(db.query("SELECT count(*) FROM usage WHERE completion_tokens != id"), 0);
}

TEST(Ledger, StrictModeWakesTheRequestOnceCommitted) {
  TempDb db;
  LedgerOptions options;
  options.durability = Durability::kStrict;
  Ledger ledger(sqlite(db.path(), true), options);
  const uint64_t seq = ledger.append(record(1));
  ASSERT_TRUE(ledger.flush(5'000));
  EXPECT_TRUE(ledger.committed(seq));
  EXPECT_EQ(db.query("SELECT count(*) FROM usage"), 1);
}

// Batch mode commits on its flush timer, without a full batch and without flush(): one quiet
// request is not held until more traffic comes. (The writer thread runs on real time; the bound
// below is a failure bound, far above the 5 ms interval, not a timing assertion.)
TEST(Ledger, BatchModeCommitsALoneRecordOnItsTimer) {
  TempDb db;
  LedgerOptions options;
  options.flush_interval_ms = 5;
  Ledger ledger(sqlite(db.path()), options);
  const uint64_t seq = ledger.append(record(1));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ledger.committed(seq) && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_TRUE(ledger.committed(seq));
  EXPECT_EQ(db.query("SELECT count(*) FROM usage"), 1);
}

// What busy-polling event loops read (busy_poll.h): nothing queued, nothing needed; a queued
// record needs the writer when its flush timer ends (at once in strict mode); committed, nothing
// again.
// needs_cpu_at() once it reads kNoYield (the writer stores it just after the commit flush()
// waits for), or what it reads after a failure bound.
int64_t settled_need(const Ledger& ledger) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(10);
  while (ledger.needs_cpu_at().load() != kNoYield && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ledger.needs_cpu_at().load();
}

TEST(Ledger, SaysWhenTheWriterNeedsACore) {
  TempDb db;
  {
    LedgerOptions options;
    options.flush_interval_ms = 200;
    Ledger ledger(sqlite(db.path()), options);
    EXPECT_EQ(ledger.needs_cpu_at().load(), kNoYield);
    const int64_t before = busy_poll_now();
    ledger.append(record(1));
    const int64_t after = busy_poll_now();
    const int64_t at = ledger.needs_cpu_at().load();
    if (busy_poll_now() < before + 200'000'000) {  // read before the flush timer could end
      EXPECT_GE(at, before + 200'000'000);
      EXPECT_LE(at, after + 200'000'000);
    }
    ASSERT_TRUE(ledger.flush(10'000));
    EXPECT_EQ(settled_need(ledger), kNoYield);
  }
  LedgerOptions strict;
  strict.durability = Durability::kStrict;
  Ledger ledger(sqlite(db.path(), true), strict);
  const uint64_t seq = ledger.append(record(2));
  const int64_t need = ledger.needs_cpu_at().load();  // read first: kNoYield comes after the commit
  if (!ledger.committed(seq)) {
    EXPECT_LE(need, busy_poll_now());
  }
  ASSERT_TRUE(ledger.flush(10'000));
  EXPECT_EQ(settled_need(ledger), kNoYield);
}

// The scheduling policy of this process's thread named accord-ledger (-1: none).
int writer_policy() {
  for (const auto& task : std::filesystem::directory_iterator("/proc/self/task")) {
    std::ifstream comm(task.path() / "comm");
    std::string name;
    std::getline(comm, name);
    if (name == "accord-ledger") return sched_getscheduler(std::stoi(task.path().filename()));
  }
  return -1;
}

// Batch mode's writer gives way to the event loops (SCHED_IDLE once its batch is small); strict
// mode's, which answers wait for, keeps a normal share.
TEST(Ledger, TheBatchWriterRunsOnIdleTimeTheStrictOneOnANormalShare) {
  TempDb db;
  {
    Ledger ledger(sqlite(db.path()), LedgerOptions{});
    ledger.append(record(1));
    ASSERT_TRUE(ledger.flush(10'000));
    EXPECT_EQ(writer_policy(), SCHED_IDLE);
  }
  LedgerOptions strict;
  strict.durability = Durability::kStrict;
  Ledger ledger(sqlite(db.path(), true), strict);
  ledger.append(record(2));
  ASSERT_TRUE(ledger.flush(10'000));
  EXPECT_EQ(writer_policy(), SCHED_OTHER);
}

TEST(Ledger, ADestroyedLedgerHasCommittedEverything) {
  TempDb db;
  {
    LedgerOptions options;
    options.flush_interval_ms = 60'000;  // nothing commits on a timer in this test
    Ledger ledger(sqlite(db.path()), options);
    for (int i = 1; i <= 100; ++i) ledger.append(record(i));
  }
  EXPECT_EQ(db.query("SELECT count(*) FROM usage"), 100);
}

// A store that fails its first commits (a full or read-only disk): the ledger reports itself
// unhealthy, keeps the records, and commits each exactly once when the store recovers.
class FlakyStore final : public LedgerStore {
 public:
  // Fails `failures` commits after the first `good` ones.
  explicit FlakyStore(int failures, int good = 0) : failures_(failures), good_(good) {}
  Status begin() override { return Status(); }
  Status insert(std::span<const UsageRecord> records) override {
    for (const UsageRecord& r : records) txn_.push_back(r.completion_tokens);
    return Status();
  }
  Status commit() override {
    if (good_-- <= 0 && failures_-- > 0) {
      return Error::internal(ErrorKind::kUnavailable, "disk full");
    }
    seen.insert(seen.end(), txn_.begin(), txn_.end());
    txn_.clear();
    return Status();
  }
  void rollback() override { txn_.clear(); }
  std::vector<int64_t> seen;

 private:
  int failures_;
  int good_;
  std::vector<int64_t> txn_;
};

// Records 1..n (completion_tokens = i) were each committed once, in order.
void expect_once_in_order(const FlakyStore& store, int n) {
  ASSERT_EQ(store.seen.size(), static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) EXPECT_EQ(store.seen[static_cast<size_t>(i)], i + 1);
}

// A ledger over a FlakyStore, with records 1..`records` queued.
struct FlakyLedger {
  FlakyLedger(std::unique_ptr<FlakyStore> flaky, LedgerOptions options, int records)
      : store(flaky.get()), ledger(std::move(flaky), options) {
    for (int i = 1; i <= records; ++i) ledger.append(record(i));
  }
  FlakyStore* store;
  Ledger ledger;
};

// Flushes every `flush_ms`, retries a failed commit after 5 ms.
LedgerOptions quick_retries(int64_t flush_ms) {
  LedgerOptions options;
  options.flush_interval_ms = flush_ms;
  options.retry_ms = 5;
  return options;
}

TEST(Ledger, AFailingStoreLosesNothingAndRecovers) {
  FlakyLedger f(std::make_unique<FlakyStore>(3), quick_retries(1), 50);
  ASSERT_TRUE(f.ledger.flush(10'000));
  EXPECT_TRUE(f.ledger.healthy());
  EXPECT_EQ(f.ledger.stats().failed_commits, 3u);
  expect_once_in_order(*f.store, 50);
}

TEST(Ledger, UnhealthyWhileTheStoreFails) {
  auto ledger = std::make_unique<Ledger>(std::make_unique<FlakyStore>(1'000'000), quick_retries(1));
  ledger->append(record(1));
  EXPECT_FALSE(ledger->flush(200));
  EXPECT_FALSE(ledger->healthy());
  EXPECT_EQ(ledger->stats().queue_depth, 1u);  // kept, not dropped
}

// Waits (failure bound: 30 s) until idle loops are asked to commit: half the flush interval.
bool wait_until_due(const Ledger& ledger) {
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  while (!ledger.due() && std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  return ledger.due();
}

// In batch mode an idle event loop commits the queue in slices of kSliceRows rows from half the
// flush interval on (here the test plays the loop); the writer thread, due only at the end of
// the interval (a second later), finds nothing left. (Should this thread stall for that second,
// the writer would take the batch over and the slice count below would differ.)
TEST(Ledger, IdleLoopsCommitTheBatchInSlices) {
  TempDb db;
  LedgerOptions options;
  options.flush_interval_ms = 2000;
  Ledger ledger(sqlite(db.path()), options);
  for (int i = 1; i <= 100; ++i) ledger.append(record(i));
  ASSERT_TRUE(wait_until_due(ledger));
  int slices = 0;
  while (ledger.due()) {
    ASSERT_TRUE(ledger.run_slice());
    ++slices;
  }
  EXPECT_EQ(slices, 4);  // 32 + 32 + 32 + 4 rows, committed with the last
  EXPECT_TRUE(ledger.committed(100));
  EXPECT_EQ(ledger.stats().commits, 1u);
  EXPECT_EQ(ledger.needs_cpu_at().load(), kNoYield);  // nothing left for the writer
  EXPECT_EQ(db.query("SELECT count(*) FROM usage WHERE completion_tokens != id"), 0);
  EXPECT_EQ(db.query("SELECT count(*) FROM usage"), 100);
}

// A slice whose commit fails puts the batch back at the head of the queue; the writer thread
// retries it, and every record is committed once, in order.
TEST(Ledger, ASliceThatFailsLeavesTheBatchToTheWriter) {
  FlakyLedger f(std::make_unique<FlakyStore>(1), quick_retries(2000), 40);
  Ledger& ledger = f.ledger;
  ASSERT_TRUE(wait_until_due(ledger));
  while (ledger.due()) ASSERT_TRUE(ledger.run_slice());
  EXPECT_EQ(ledger.stats().failed_commits, 1u);
  EXPECT_FALSE(ledger.committed(1));
  EXPECT_EQ(ledger.stats().queue_depth, 40u);
  ASSERT_TRUE(ledger.flush(30'000));
  EXPECT_TRUE(ledger.healthy());
  expect_once_in_order(*f.store, 40);
}

// A batch of several transactions (max_batch rows each) whose second commit fails: the first
// stays committed, the rest goes back to the queue and is retried: every record is committed
// once, in order (a first transaction committed again would show twice in `seen`). The writer
// wakes at the 16th record, by when the test has usually queued all 40: one batch.
TEST(Ledger, ACommitFailingAfterAnEarlierOneOfItsBatchKeepsThatOne) {
  LedgerOptions options = quick_retries(1);
  options.max_batch = 16;
  FlakyLedger f(std::make_unique<FlakyStore>(1, 1), options, 40);
  ASSERT_TRUE(f.ledger.flush(30'000));
  EXPECT_EQ(f.ledger.stats().failed_commits, 1u);
  expect_once_in_order(*f.store, 40);
}

// SQLite's own checkpoint is off (it would run inside whichever COMMIT crossed its threshold,
// on an event loop); the store says when one is due and the writer thread runs it: the rows
// reach the database file itself, not only the WAL.
TEST(Ledger, TheWriterThreadCheckpointsTheWal) {
  TempDb db;
  {
    auto store = sqlite(db.path());
    std::vector<UsageRecord> rows;
    for (int i = 1; i <= 60'000; ++i) rows.push_back(record(i));  // ~6 MiB of WAL
    ASSERT_TRUE(store->append(rows).ok());
    EXPECT_TRUE(store->maintenance_due());
    ASSERT_TRUE(store->maintain().ok());
    EXPECT_FALSE(store->maintenance_due());
  }
  TempDb db2;
  LedgerOptions options;
  options.flush_interval_ms = 1;
  Ledger ledger(sqlite(db2.path()), options);
  for (int i = 1; i <= 60'000; ++i) ledger.append(record(i));
  ASSERT_TRUE(ledger.flush(30'000));
  const auto give_up = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  // Without a checkpoint the file holds only the schema (a few pages).
  while (std::filesystem::file_size(db2.path()) < 1u << 20 &&
         std::chrono::steady_clock::now() < give_up) {
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
  EXPECT_GE(std::filesystem::file_size(db2.path()), 1u << 20);
}

TEST(LedgerSchema, ANewerSchemaIsRefused) {
  TempDb db;
  {
    sqlite3* raw = nullptr;
    sqlite3_open(db.path().c_str(), &raw);
    sqlite3_exec(raw,
                 "CREATE TABLE schema_version (version INTEGER NOT NULL);"
                 "INSERT INTO schema_version VALUES (99);",
                 nullptr, nullptr, nullptr);
    sqlite3_close(raw);
  }
  auto store = open_sqlite_store({db.path(), false});
  ASSERT_FALSE(store.ok());
  EXPECT_NE(store.error().message.find("schema version 99"), std::string::npos);
}

TEST(LedgerSchema, OpeningTwiceMigratesOnce) {
  TempDb db;
  { sqlite(db.path()); }
  { sqlite(db.path()); }
  EXPECT_EQ(db.query("SELECT count(*) FROM schema_version"), kLedgerSchemaVersion);
  EXPECT_EQ(db.query("SELECT max(version) FROM schema_version"), kLedgerSchemaVersion);
}

// A ledger written before cached-token pricing (schema 1) gains the column, its rows kept with
// no cached tokens.
TEST(LedgerSchema, AVersionOneLedgerMigratesKeepingItsRows) {
  TempDb db;
  {
    sqlite3* raw = nullptr;
    sqlite3_open(db.path().c_str(), &raw);
    const std::string v1 =
        "CREATE TABLE schema_version (version INTEGER NOT NULL);"
        "INSERT INTO schema_version VALUES (1);"
        "CREATE TABLE usage (id INTEGER PRIMARY KEY, ts_ms INTEGER NOT NULL, request_id TEXT NOT "
        "NULL, key_id TEXT, party TEXT, model TEXT, pool TEXT, class TEXT, service_tier TEXT, "
        "status INTEGER NOT NULL, failed INTEGER NOT NULL, error_code TEXT, error_source TEXT, "
        "reserved INTEGER NOT NULL, prompt_tokens INTEGER NOT NULL, completion_tokens INTEGER "
        "NOT NULL, queue_ms REAL, ttft_ms REAL, total_ms REAL, endpoint TEXT, "
        "list_cost_micro_usd INTEGER NOT NULL, cost_micro_usd INTEGER NOT NULL);"
        "INSERT INTO usage (ts_ms, request_id, status, failed, reserved, prompt_tokens, "
        "completion_tokens, list_cost_micro_usd, cost_micro_usd) VALUES (1, 'old', 200, 0, 0, 7, "
        "3, 10, 10);";
    ASSERT_EQ(sqlite3_exec(raw, v1.c_str(), nullptr, nullptr, nullptr), SQLITE_OK);
    sqlite3_close(raw);
  }
  { sqlite(db.path()); }
  EXPECT_EQ(db.query("SELECT max(version) FROM schema_version"), kLedgerSchemaVersion);
  EXPECT_EQ(db.query("SELECT prompt_tokens FROM usage WHERE request_id = 'old'"), 7);
  EXPECT_EQ(db.query("SELECT cached_prompt_tokens FROM usage WHERE request_id = 'old'"), 0);
}

}  // namespace
}  // namespace accord
