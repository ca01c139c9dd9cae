#include "ledger/ledger.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdint>

#include "ledger/writer_share.h"

namespace accord {

namespace {

// Its share when it catches up (writer_share.h): about a tenth of a core's when contended.
constexpr int kBatchWriterNice = 10;

}  // namespace

Ledger::Ledger(std::unique_ptr<LedgerStore> store, LedgerOptions options)
    : options_(options), store_(std::move(store)) {
  writer_ = std::thread([this] {
    pthread_setname_np(pthread_self(), "accord-ledger");  // as top -H and the benchmarks see it
    // Strict durability keeps the normal priority: its answers wait for the commit. In batch
    // durability no request waits for one, so the writer gives way to the event loops.
    if (options_.durability == Durability::kBatch) {
      setpriority(PRIO_PROCESS, static_cast<id_t>(gettid()), kBatchWriterNice);
    }
    run();
  });
}

Ledger::~Ledger() {
  {
    std::lock_guard lock(mu_);
    stopping_ = true;
  }
  wake_writer_.notify_one();
  writer_.join();
}

void Ledger::need_cpu_in(int64_t ms) {
  needs_cpu_at_.store(busy_poll_now() + ms * 1'000'000, std::memory_order_relaxed);
}

uint64_t Ledger::append(UsageRecord record) {
  uint64_t seq = 0;
  bool wake = false;
  {
    std::lock_guard lock(mu_);
    seq = ++appended_;
    pending_.push_back(std::move(record));
    ++stats_.appended;
    depth_.store(pending_.size(), std::memory_order_relaxed);
    // The first record wakes the writer: strict mode commits at once, batch mode starts its
    // flush timer. Batch mode also commits early when a batch is full.
    wake = pending_.size() == 1 ||
           (options_.durability == Durability::kBatch && pending_.size() == options_.max_batch);
    if (wake && !committing_) {
      // When the writer will want a core: the flush timer it starts now, or at once. (While
      // it commits it wants one already, and says when next once it is done.)
      const bool now = options_.durability == Durability::kStrict || pending_.size() > 1;
      need_cpu_in(now ? 0 : options_.flush_interval_ms);
    }
  }
  if (wake) wake_writer_.notify_one();
  return seq;
}

void Ledger::notify_when_committed(uint64_t seq, std::shared_ptr<Waiter> waiter) {
  {
    std::lock_guard lock(mu_);
    if (!committed(seq)) {
      commit_waiters_.emplace(seq, std::move(waiter));
      return;
    }
  }
  Waiter::notify(waiter);
}

void Ledger::notify_when_room(std::shared_ptr<Waiter> waiter) {
  {
    std::lock_guard lock(mu_);
    if (pending_.size() > options_.queue_capacity / 2) {
      room_waiters_.push_back(std::move(waiter));
      return;
    }
  }
  Waiter::notify(waiter);
}

bool Ledger::flush(int64_t timeout_ms) {
  std::unique_lock lock(mu_);
  const uint64_t target = appended_;
  wake_writer_.notify_one();
  return flushed_.wait_for(lock, std::chrono::milliseconds(timeout_ms),
                           [&] { return committed(target); });
}

LedgerStats Ledger::stats() const {
  std::lock_guard lock(mu_);
  LedgerStats s = stats_;
  s.queue_depth = pending_.size();
  s.committed = committed_.load();
  s.healthy = healthy();
  return s;
}

bool Ledger::run_slice() {
  std::unique_lock store_lock(store_mu_, std::try_to_lock);
  if (!store_lock.owns_lock()) return false;  // another loop's slice, or the writer's turn
  if (due()) step(kSliceRows);
  return true;
}

Ledger::Step Ledger::step(size_t rows) {
  if (inserted_ == batch_.size()) {
    // No batch in progress (batch_ is empty): the whole queue becomes one (a swap: no record
    // is moved).
    std::lock_guard lock(mu_);
    if (pending_.empty()) {
      clear_due();
      needs_cpu_at_.store(kNoYield, std::memory_order_relaxed);
      return Step::kIdle;
    }
    batch_.swap(pending_);
    inserted_ = 0;
    txn_rows_ = 0;
    txn_ms_ = 0;
    batch_first_ = committed_.load() + 1;
    committing_ = true;
    depth_.store(0, std::memory_order_relaxed);
  }
  const auto start = std::chrono::steady_clock::now();
  Status status;
  if (txn_rows_ == 0) status = store_->begin();
  const size_t n = std::min({rows, options_.max_batch - txn_rows_, batch_.size() - inserted_});
  if (status.ok())
    status = store_->insert(std::span<const UsageRecord>(batch_.data() + inserted_, n));
  if (status.ok()) {
    inserted_ += n;
    txn_rows_ += n;
  }
  // A transaction holds at most max_batch rows.
  const bool ends = txn_rows_ == options_.max_batch || inserted_ == batch_.size();
  if (status.ok() && ends) status = store_->commit();
  txn_ms_ +=
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  if (!status.ok()) {
    fail(status.error());
    return Step::kFailed;
  }
  if (ends) {
    txn_rows_ = 0;
    const uint64_t last = batch_first_ + inserted_ - 1;
    const bool maintenance = store_->maintenance_due();
    std::lock_guard lock(mu_);
    committed_.store(last, std::memory_order_release);
    ++stats_.commits;
    stats_.last_commit_ms = txn_ms_;
    stats_.commit_ms_total += txn_ms_;
    txn_ms_ = 0;
    // Wake the requests whose records are now safe.
    for (auto it = commit_waiters_.begin(); it != commit_waiters_.end() && it->first <= last;) {
      Waiter::notify(it->second);
      it = commit_waiters_.erase(it);
    }
    if (maintenance) maintenance_due_ = true;  // for the writer thread, below
  }
  if (inserted_ < batch_.size()) return Step::kMore;

  batch_.clear();
  inserted_ = 0;
  std::lock_guard lock(mu_);
  committing_ = false;
  ++batches_done_;
  clear_due();
  if (!healthy_.exchange(true)) spdlog::info("the ledger can be written again");
  depth_.store(pending_.size(), std::memory_order_relaxed);
  // What arrived during the batch waits for the next flush (or none, or a full batch).
  if (pending_.empty()) {
    needs_cpu_at_.store(kNoYield, std::memory_order_relaxed);
  } else if (options_.durability == Durability::kBatch && pending_.size() < options_.max_batch) {
    need_cpu_in(options_.flush_interval_ms);
  }
  if (pending_.size() <= options_.queue_capacity / 2) {
    for (auto& w : room_waiters_) Waiter::notify(w);
    room_waiters_.clear();
  }
  flushed_.notify_all();
  wake_writer_.notify_one();  // a writer waiting on the loops' batch, or for housekeeping
  return Step::kDone;
}

void Ledger::fail(const Error& error) {
  store_->rollback();
  // Keep what was not committed, in order, at the head of the queue, and try again later.
  const size_t committed_rows = inserted_ - txn_rows_;
  std::lock_guard lock(mu_);
  ++stats_.failed_commits;
  if (healthy_.exchange(false)) {
    spdlog::error("{}; new requests are refused until it can be written", error.message);
  }
  pending_.insert(
      pending_.begin(),
      std::make_move_iterator(batch_.begin() + static_cast<std::ptrdiff_t>(committed_rows)),
      std::make_move_iterator(batch_.end()));
  batch_.clear();
  inserted_ = 0;
  txn_rows_ = 0;
  txn_ms_ = 0;
  committing_ = false;
  clear_due();  // the writer thread retries
  depth_.store(pending_.size(), std::memory_order_relaxed);
  need_cpu_in(options_.retry_ms);
  wake_writer_.notify_one();  // when a loop failed: the writer waits for the loops
}

Ledger::Loops Ledger::wait_for_loops(std::unique_lock<std::mutex>& lock) {
  const auto start = std::chrono::steady_clock::now();
  const std::chrono::microseconds interval(options_.flush_interval_ms * 1000);
  auto full = [&] { return stopping_ || pending_.size() >= options_.max_batch; };
  // The first half gathers records; from then on idle event loops commit them.
  if (wake_writer_.wait_until(lock, start + interval / 2, full)) return Loops::kWritersTurn;
  const uint64_t done = batches_done_;
  const uint64_t failed = stats_.failed_commits;
  lock.unlock();  // set_due() posts to the loops: never under the lock append() takes
  set_due();
  lock.lock();
  wake_writer_.wait_until(lock, start + interval, [&] {
    return full() || batches_done_ != done || stats_.failed_commits != failed;
  });
  if (stats_.failed_commits != failed) return Loops::kFailed;
  return batches_done_ != done ? Loops::kCommitted : Loops::kWritersTurn;
}

Ledger::Step Ledger::take_turn(WriterShare& share) {
  std::lock_guard store_lock(store_mu_);
  // A syscall only when the share changes, and never under the lock append() takes.
  if (options_.durability == Durability::kBatch) {
    share.set_behind(batch_.size() - inserted_ + depth_.load(std::memory_order_relaxed) >
                     options_.max_batch);
  }
  needs_cpu_at_.store(0, std::memory_order_relaxed);  // no polling loop may starve the commit
  auto whole_batch = [this] {
    Step s = Step::kMore;
    while ((s = step(SIZE_MAX)) == Step::kMore) {
    }
    return s;
  };
  const bool resumed = inserted_ < batch_.size();
  const Step s = whole_batch();
  // A batch the loops left: the records queued since go too, their interval having run.
  return resumed && s == Step::kDone ? whole_batch() : s;
}

void Ledger::run() {
  WriterShare share;
  std::unique_lock lock(mu_);
  for (;;) {
    if (!stopping_ && pending_.empty() && !maintenance_due_) {
      wake_writer_.wait(lock, [&] { return stopping_ || !pending_.empty() || maintenance_due_; });
    }
    if (maintenance_due_) {
      maintenance_due_ = false;
      lock.unlock();
      {
        std::lock_guard store_lock(store_mu_);
        if (Status s = store_->maintain(); !s.ok()) spdlog::warn("{}", s.error().message);
      }
      lock.lock();
      continue;
    }
    if (!stopping_ && options_.durability == Durability::kBatch &&
        pending_.size() < options_.max_batch) {
      const Loops loops = wait_for_loops(lock);
      if (loops == Loops::kCommitted) continue;
      if (loops == Loops::kFailed) {  // the writer retries, as after its own failure
        wake_writer_.wait_for(lock, std::chrono::milliseconds(options_.retry_ms));
      }
    }
    lock.unlock();
    const Step last = take_turn(share);
    lock.lock();
    if (last == Step::kFailed) {
      if (stopping_ && stats_.failed_commits > 3) return;  // give up on shutdown
      wake_writer_.wait_for(lock, std::chrono::milliseconds(options_.retry_ms));
      continue;
    }
    if (stopping_ && pending_.empty()) return;
  }
}

}  // namespace accord
