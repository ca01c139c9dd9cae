// Stage 2, authenticate: "Authorization: Bearer KEY" → the key's entry → its party. Keys are held
// only as SHA-256 hashes; the presented key is hashed and the stored hash compared in constant
// time. (The index lookup itself depends only on the hash of the presented key, which tells an
// attacker nothing about any stored key.)
#pragma once

#include <string_view>
#include <unordered_map>

#include "agreement/agreement.h"
#include "core/result.h"

namespace accord {

class KeyIndex {
 public:
  explicit KeyIndex(const Agreement& agreement);
  // nullptr when no key has this hash.
  const ApiKey* find(const Sha256Digest& digest) const;

 private:
  struct DigestHash {
    size_t operator()(const Sha256Digest& d) const;
  };
  std::unordered_map<Sha256Digest, const ApiKey*, DigestHash> by_digest_;
};

// The key named by an Authorization header value, or a kUnauthorized error whose message never
// repeats the key.
Result<const ApiKey*> authenticate(const KeyIndex& keys, std::string_view authorization);

// The same, for endpoints that need an operator key (a key of a party whose role is operator):
// kForbidden for any other party's key.
Result<const ApiKey*> authenticate_operator(const Agreement& agreement, const KeyIndex& keys,
                                            std::string_view authorization);

}  // namespace accord
