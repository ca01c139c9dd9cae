// Stage 2, authenticate: "Authorization: Bearer KEY" → the key's entry → its party. Keys are held
// only as SHA-256 hashes; the presented key is hashed and the stored hash compared in constant
// time. (The index lookup itself depends only on the hash of the presented key, which tells an
// attacker nothing about any stored key.)
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <unordered_map>

#include "agreement/agreement.h"
#include "core/result.h"

namespace accord {

// The key in "Bearer KEY" ("" when the value is not of that form).
std::string_view presented_key(std::string_view authorization);

// A secret the index knows: its key, and until when it works (a key's expiry; a rotated key's
// previous secret, its grace).
struct KeySecret {
  const ApiKey* key = nullptr;
  UnixMillis valid_until = 0;  // 0: no end
  bool previous = false;       // a rotated key's previous secret
  bool valid_at(UnixMillis now) const { return valid_until == 0 || now < valid_until; }
};

class KeyIndex {
 public:
  explicit KeyIndex(const Agreement& agreement);
  // nullptr when no key has this hash.
  const KeySecret* find(const Sha256Digest& digest) const;

 private:
  struct DigestHash {
    size_t operator()(const Sha256Digest& d) const;
  };
  std::unordered_map<Sha256Digest, KeySecret, DigestHash> by_digest_;
};

// The key named by an Authorization header value at wall time `now`, or a kUnauthorized error
// whose message never repeats the key (an expired key, or a rotated one past its grace, is
// refused).
Result<const ApiKey*> authenticate(const KeyIndex& keys, std::string_view authorization,
                                   UnixMillis now);

// The key a keep-alive connection presented last, and the entry it named. A client sends the same
// key on every request of a connection: comparing what it presents with the last key (in constant
// time) costs less than hashing it again. The entry is good only under the key index that found
// it, which `owner` (the snapshot holding that index) names without keeping it alive.
class KeyMemo {
 public:
  // The entry `presented` names, if it is the key last remembered under `owner` and still
  // valid at `now`; else nullptr.
  template <typename Owner>
  const ApiKey* recall(const std::shared_ptr<Owner>& owner, std::string_view presented,
                       UnixMillis now) const {
    if (secret_ == nullptr || owner_.owner_before(owner) || owner.owner_before(owner_)) {
      return nullptr;
    }
    return same_key(presented) && secret_->valid_at(now) ? secret_->key : nullptr;
  }
  template <typename Owner>
  void remember(const std::shared_ptr<Owner>& owner, std::string_view presented,
                const KeySecret* secret) {
    owner_ = owner;
    presented_.assign(presented);
    secret_ = secret;
  }

 private:
  bool same_key(std::string_view presented) const;

  std::weak_ptr<const void> owner_;
  std::string presented_;
  const KeySecret* secret_ = nullptr;
};

// The secret `presented` names in `keys` if it is valid at `now`; nullptr otherwise.
const KeySecret* find_secret(const KeyIndex& keys, std::string_view presented, UnixMillis now);

// authenticate(), asking `memo` first and telling it what was found; `owner` holds `keys`.
template <typename Owner>
Result<const ApiKey*> authenticate(const KeyIndex& keys, std::string_view authorization,
                                   UnixMillis now, const std::shared_ptr<Owner>& owner,
                                   KeyMemo& memo) {
  const std::string_view presented = presented_key(authorization);
  if (const ApiKey* known = memo.recall(owner, presented, now)) return known;
  auto key = authenticate(keys, authorization, now);
  if (key.ok()) memo.remember(owner, presented, find_secret(keys, presented, now));
  return key;
}

// The same, for endpoints that need an operator key (a key of a party whose role is operator):
// kForbidden for any other party's key.
Result<const ApiKey*> authenticate_operator(const Agreement& agreement, const KeyIndex& keys,
                                            std::string_view authorization, UnixMillis now);

}  // namespace accord
