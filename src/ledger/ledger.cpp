#include "ledger/ledger.h"

#include <pthread.h>
#include <spdlog/spdlog.h>
#include <sys/resource.h>
#include <unistd.h>

#include <chrono>

#include "ledger/writer_share.h"

namespace accord {

namespace {

// Its share when it catches up (writer_share.h): about a tenth of a core's when contended.
constexpr int kBatchWriterNice = 10;

}  // namespace

Ledger::Ledger(std::unique_ptr<LedgerStore> store, LedgerOptions options)
    : store_(std::move(store)), options_(options) {
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

void Ledger::run() {
  WriterShare share;
  std::vector<UsageRecord> batch;
  std::unique_lock lock(mu_);
  for (;;) {
    if (pending_.empty() && !stopping_) {
      wake_writer_.wait(lock, [&] { return !pending_.empty() || stopping_; });
    }
    if (options_.durability == Durability::kBatch && !stopping_ &&
        pending_.size() < options_.max_batch) {
      // Group the records of one flush interval into one commit.
      wake_writer_.wait_for(lock, std::chrono::milliseconds(options_.flush_interval_ms),
                            [&] { return pending_.size() >= options_.max_batch || stopping_; });
    }
    if (pending_.empty()) {
      if (stopping_) return;
      continue;
    }
    // Take the whole queue at once (a swap: no record is moved), commit it in transactions of
    // at most max_batch records.
    batch.clear();
    batch.swap(pending_);
    const uint64_t first = committed_.load() + 1;
    committing_ = true;
    needs_cpu_at_.store(0, std::memory_order_relaxed);  // no loop may starve the commit
    lock.unlock();
    // A syscall only when the share changes, and never under the lock append() takes.
    if (options_.durability == Durability::kBatch) {
      share.set_behind(batch.size() > options_.max_batch);
    }

    size_t done = 0;
    Status status;
    while (done < batch.size()) {
      const size_t n = std::min(options_.max_batch, batch.size() - done);
      const auto start = std::chrono::steady_clock::now();
      status = store_->append(std::span<const UsageRecord>(batch.data() + done, n));
      const double ms =
          std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start)
              .count();
      if (!status.ok()) break;
      done += n;
      const uint64_t last = first + done - 1;
      std::lock_guard stats_lock(mu_);
      committed_.store(last, std::memory_order_release);
      ++stats_.commits;
      stats_.last_commit_ms = ms;
      stats_.commit_ms_total += ms;
      // Wake the requests whose records are now safe.
      for (auto it = commit_waiters_.begin(); it != commit_waiters_.end() && it->first <= last;) {
        Waiter::notify(it->second);
        it = commit_waiters_.erase(it);
      }
    }

    lock.lock();
    committing_ = false;
    if (!status.ok()) {
      // Keep what was not committed, in order, at the head of the queue, and try again later.
      ++stats_.failed_commits;
      if (healthy_.exchange(false)) {
        spdlog::error("{}; new requests are refused until it can be written",
                      status.error().message);
      }
      pending_.insert(pending_.begin(),
                      std::make_move_iterator(batch.begin() + static_cast<std::ptrdiff_t>(done)),
                      std::make_move_iterator(batch.end()));
      depth_.store(pending_.size(), std::memory_order_relaxed);
      if (stopping_ && stats_.failed_commits > 3) return;  // give up on shutdown
      need_cpu_in(options_.retry_ms);
      wake_writer_.wait_for(lock, std::chrono::milliseconds(options_.retry_ms));
      continue;
    }
    if (!healthy_.exchange(true)) spdlog::info("the ledger can be written again");
    depth_.store(pending_.size(), std::memory_order_relaxed);
    // What arrived during the commit waits for the next flush (or none, or a full batch).
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
  }
}

}  // namespace accord
