// KeyAdmin: the keys API's business — who may make, list, rotate and revoke which keys, and the
// audit trail of it. Operator keys (keys of a party whose role is operator) manage every party's
// keys and may make admin keys; a party's admin key (role: admin) manages its own party's keys
// only, within its party's limits and entitlements, and cannot make admin keys. Keys are stored
// hashed (ledger/key_store.h); every change publishes the agreement with the new set
// (AgreementStore::publish_keys) before it is answered, so a revoked key is refused from the next
// request on. The secret of a key is in the answer that makes it (create, rotate) and nowhere
// else: not in lists, the audit trail, logs or the database.
// Threads: every call blocks on the store; the routes make them off the event loops. Changes are
// serialised by a mutex.
#pragma once

#include <mutex>
#include <string>
#include <vector>

#include <boost/asio/thread_pool.hpp>

#include "core/clock.h"
#include "core/result.h"
#include "gateway/agreement_store.h"
#include "ledger/key_store.h"

namespace accord {

// Who asks: the key that authenticated, and from where.
struct KeyCaller {
  std::string key_id;
  std::string party;
  bool is_operator = false;  // its party's role is operator; else it is a party's admin key
  std::string address;
};

// An answer: its status and JSON body.
struct KeyAnswer {
  int status = 200;
  std::string body;
};

class KeyAdmin {
 public:
  // REQUIRES: `store` and `agreements` outlive it.
  KeyAdmin(KeyStore& store, AgreementStore& agreements, const Clock& clock)
      : store_(store), agreements_(agreements), clock_(clock) {}
  ~KeyAdmin() { worker_.join(); }
  KeyAdmin(const KeyAdmin&) = delete;
  KeyAdmin& operator=(const KeyAdmin&) = delete;

  // The thread its calls run on (runtime/offload.h).
  boost::asio::thread_pool& worker() { return worker_; }
  const Clock& clock() const { return clock_; }

  // Reads the stored keys and publishes them (at start).
  Status load();

  Result<KeyAnswer> create(const KeyCaller& caller, std::string_view body);
  Result<KeyAnswer> list(const KeyCaller& caller);
  Result<KeyAnswer> rotate(const KeyCaller& caller, std::string_view id, std::string_view body);
  Result<KeyAnswer> revoke(const KeyCaller& caller, std::string_view id);
  Result<KeyAnswer> audit(const KeyCaller& caller, int64_t limit);

 private:
  // The managed key `id` the caller may act on, or the error (404 for another party's).
  Result<ManagedKey*> find_for(const KeyCaller& caller, std::string_view id);
  AuditEntry audit_entry(const KeyCaller& caller, std::string_view action,
                         const ManagedKey& key) const;

  KeyStore& store_;
  AgreementStore& agreements_;
  const Clock& clock_;
  std::mutex mu_;
  std::vector<ManagedKey> keys_;  // as stored, not revoked; guarded by mu_
  boost::asio::thread_pool worker_{1};
};

}  // namespace accord
