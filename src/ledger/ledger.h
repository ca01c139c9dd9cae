// Ledger: usage records from the request path to a LedgerStore. The request path only appends
// to an in-memory queue, committed in batches (group commit: by count, and by time in batch
// mode, at once in strict mode while the previous commit runs). In strict mode a writer thread
// commits. In batch mode idle event loops commit, in slices of a few dozen rows between events
// (IdleWork, busy_poll.h), from half the flush interval on; the writer thread commits what they
// leave at the end of the interval, and runs the store's housekeeping (WAL checkpoints).
// A record is never dropped: a failed commit keeps its batch at the head of the queue and is
// retried; meanwhile healthy() is false and the gateway refuses new requests rather than serve
// them unbilled. A queue past its capacity reports backlogged() so admission waits
// (back-pressure). Thread-safe.
#pragma once

#include <atomic>
#include <condition_variable>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "agreement/agreement.h"
#include "ledger/ledger_store.h"
#include "ledger/writer_share.h"
#include "runtime/busy_poll.h"
#include "runtime/waiter.h"

namespace accord {

struct LedgerOptions {
  Durability durability = Durability::kBatch;
  int64_t flush_interval_ms = 50;  // batch mode: the most a record waits to be committed
  size_t max_batch = 8192;
  size_t queue_capacity = 65536;  // past this, admission waits
  int64_t retry_ms = 500;         // after a failed commit
};

struct LedgerStats {
  size_t queue_depth = 0;
  uint64_t appended = 0;
  uint64_t committed = 0;
  uint64_t commits = 0;
  uint64_t failed_commits = 0;
  double last_commit_ms = 0;
  double commit_ms_total = 0;  // time spent in the store
  bool healthy = true;
};

// The event loops that run a Ledger's slices (BusyPoll::idle_work) must have stopped before it
// is destroyed.
class Ledger final : public IdleWork {
 public:
  Ledger(std::unique_ptr<LedgerStore> store, LedgerOptions options);
  ~Ledger() override;  // commits what is queued (unless the store keeps failing), then stops

  // Queues a record; never blocks for long. Returns its sequence number.
  uint64_t append(UsageRecord record);
  bool committed(uint64_t seq) const { return committed_.load(std::memory_order_acquire) >= seq; }
  // Wakes `waiter` once record `seq` is committed (at once if it is).
  void notify_when_committed(uint64_t seq, std::shared_ptr<Waiter> waiter);

  bool healthy() const { return healthy_.load(std::memory_order_acquire); }
  bool backlogged() const {
    return depth_.load(std::memory_order_relaxed) > options_.queue_capacity;
  }
  // Wakes `waiter` once the queue is back under half its capacity.
  void notify_when_room(std::shared_ptr<Waiter> waiter);

  // Blocks until everything appended so far is committed or `timeout_ms` passes.
  bool flush(int64_t timeout_ms);
  LedgerStats stats() const;
  Durability durability() const { return options_.durability; }
  // When the writer next needs a core (busy_poll_now() nanoseconds; kNoYield while nothing is
  // queued): busy-polling event loops give way to it from then on (busy_poll.h).
  const std::atomic<int64_t>& needs_cpu_at() const { return needs_cpu_at_; }

  // IdleWork: commits up to kSliceRows rows of the batch in progress (taking the queue as the
  // batch when none is), on the calling event loop.
  bool run_slice() override;
  static constexpr size_t kSliceRows = 32;

 private:
  enum class Step { kIdle, kMore, kDone, kFailed };
  void run();
  // Writes up to `rows` rows of the batch in progress (store_mu_ held): begins its transaction,
  // commits it when full or when the batch ends. kIdle: nothing was queued.
  Step step(size_t rows);
  // After a failed store call (store_mu_ held): the batch's uncommitted rows go back to the
  // head of the queue.
  void fail(const Error& error);
  // Batch mode: waits out the flush interval, letting idle loops commit from its middle on
  // (mu_ held): until they committed the batch, failed, or the interval ended (the writer's
  // turn: the loops left some, or none was idle).
  enum class Loops { kCommitted, kFailed, kWritersTurn };
  Loops wait_for_loops(std::unique_lock<std::mutex>& lock);
  // The writer thread's turn: finishes the batch in progress, or commits the queue.
  Step take_turn(WriterShare& share);
  // needs_cpu_at_ = `ms` milliseconds from now.
  void need_cpu_in(int64_t ms);

  LedgerOptions options_;
  // The store and the batch in progress, used by one thread at a time. Taken before mu_.
  std::mutex store_mu_;
  std::unique_ptr<LedgerStore> store_;  // guarded by store_mu_
  std::vector<UsageRecord> batch_;      // guarded by store_mu_
  size_t inserted_ = 0;                 // rows of batch_ written; guarded by store_mu_
  size_t txn_rows_ = 0;                 // in the open transaction; guarded by store_mu_
  uint64_t batch_first_ = 0;            // batch_[0]'s sequence number; guarded by store_mu_
  double txn_ms_ = 0;                   // spent in the store on it; guarded by store_mu_
  mutable std::mutex mu_;
  std::condition_variable wake_writer_;
  std::condition_variable flushed_;
  std::vector<UsageRecord> pending_;                                 // guarded by mu_
  std::multimap<uint64_t, std::shared_ptr<Waiter>> commit_waiters_;  // guarded by mu_
  std::vector<std::shared_ptr<Waiter>> room_waiters_;                // guarded by mu_
  uint64_t appended_ = 0;                                            // guarded by mu_
  bool stopping_ = false;                                            // guarded by mu_
  bool committing_ = false;                                          // guarded by mu_
  uint64_t batches_done_ = 0;                                        // guarded by mu_
  bool maintenance_due_ = false;                                     // guarded by mu_
  LedgerStats stats_;                                                // guarded by mu_
  std::atomic<uint64_t> committed_{0};
  std::atomic<size_t> depth_{0};
  std::atomic<bool> healthy_{true};
  std::atomic<int64_t> needs_cpu_at_{kNoYield};
  std::thread writer_;
};

}  // namespace accord
