// AgreementStore: the current Snapshot, swapped atomically on reload. Readers take a shared_ptr
// (one atomic reference-count increment); a reload builds the new snapshot off to the side and
// publishes it in one store, so a request sees either the old agreement or the new one whole.
// The keys made through the keys API (ledger/key_store.h) are joined to the file's on every
// build (keys/merge_keys.h): a change to them publishes a new snapshot the same way, so a revoked
// key is refused from the next request on.
#pragma once

#include <atomic>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "gateway/snapshot.h"
#include "ledger/key_store.h"

namespace accord {

struct ReloadResult {
  bool ok = false;
  std::string summary;              // on success
  std::vector<std::string> errors;  // FILE:LINE:COL: message, on failure
};

class AgreementStore {
 public:
  AgreementStore(std::shared_ptr<const Snapshot> initial, std::string path, EventLoops& loops,
                 const Clock& clock, SnapshotOptions options = {})
      : base_(initial->agreement),
        current_(std::move(initial)),
        path_(std::move(path)),
        loops_(loops),
        clock_(clock),
        options_(options) {}

  std::shared_ptr<const Snapshot> current() const {
    return current_.load(std::memory_order_acquire);
  }
  // Loads the file again; publishes it only when it is valid. Thread-safe.
  ReloadResult reload();
  // Publishes the agreement with these managed keys (all of them, replacing the last set).
  // Thread-safe.
  void publish_keys(std::vector<ManagedKey> keys);
  const std::string& path() const { return path_; }

 private:
  std::shared_ptr<const Agreement> base_;  // as loaded from the file; guarded by reload_mu_
  std::vector<ManagedKey> managed_;        // guarded by reload_mu_
  std::atomic<std::shared_ptr<const Snapshot>> current_;
  std::string path_;
  EventLoops& loops_;
  const Clock& clock_;
  SnapshotOptions options_;
  std::mutex reload_mu_;
};

}  // namespace accord
