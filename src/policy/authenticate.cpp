#include "policy/authenticate.h"

#include <openssl/crypto.h>

#include <cstring>

#include "core/strings.h"

namespace accord {

size_t KeyIndex::DigestHash::operator()(const Sha256Digest& d) const {
  size_t h = 0;
  std::memcpy(&h, d.data(), sizeof h);  // the digest is already uniformly distributed
  return h;
}

KeyIndex::KeyIndex(const Agreement& agreement) {
  for (const ApiKey& k : agreement.keys) {
    by_digest_.emplace(k.sha256, KeySecret{&k, k.expires_at});
    if (k.previous_sha256) {
      UnixMillis until = k.previous_valid_until;
      if (k.expires_at != 0 && (until == 0 || k.expires_at < until)) until = k.expires_at;
      by_digest_.emplace(*k.previous_sha256, KeySecret{&k, until, true});
    }
  }
}

const KeySecret* KeyIndex::find(const Sha256Digest& digest) const {
  const auto it = by_digest_.find(digest);
  if (it == by_digest_.end()) return nullptr;
  return constant_time_equal(it->first, digest) ? &it->second : nullptr;
}

const KeySecret* find_secret(const KeyIndex& keys, std::string_view presented, UnixMillis now) {
  const KeySecret* found = keys.find(sha256(presented));
  return found != nullptr && found->valid_at(now) ? found : nullptr;
}

namespace {
constexpr std::string_view kBearer = "Bearer ";
}  // namespace

std::string_view presented_key(std::string_view authorization) {
  if (authorization.size() <= kBearer.size() || !istarts_with(authorization, kBearer)) return {};
  return trim(authorization.substr(kBearer.size()));
}

bool KeyMemo::same_key(std::string_view presented) const {
  return !presented.empty() && presented.size() == presented_.size() &&
         CRYPTO_memcmp(presented.data(), presented_.data(), presented.size()) == 0;
}

Result<const ApiKey*> authenticate(const KeyIndex& keys, std::string_view authorization,
                                   UnixMillis now) {
  if (authorization.empty()) {
    return Error::client(ErrorKind::kUnauthorized,
                         "You didn't provide an API key. You need to provide your API key in an "
                         "Authorization header using Bearer auth (i.e. Authorization: Bearer "
                         "YOUR_KEY).");
  }
  if (authorization.size() <= kBearer.size() || !istarts_with(authorization, kBearer)) {
    return Error::client(ErrorKind::kUnauthorized,
                         "The Authorization header must be 'Bearer YOUR_KEY'.");
  }
  const std::string_view key = presented_key(authorization);
  const KeySecret* found = keys.find(sha256(key));
  if (found == nullptr) {
    return Error::client(ErrorKind::kUnauthorized, "Incorrect API key provided.");
  }
  if (!found->valid_at(now)) {
    return Error::client(
        ErrorKind::kUnauthorized,
        found->previous && (found->key->expires_at == 0 || now < found->key->expires_at)
            ? "This API key was rotated and its grace period has ended."
            : "This API key has expired.");
  }
  return found->key;
}

Result<const ApiKey*> authenticate_operator(const Agreement& agreement, const KeyIndex& keys,
                                            std::string_view authorization, UnixMillis now) {
  auto key = authenticate(keys, authorization, now);
  if (!key.ok()) return key;
  if (agreement.parties[key.value()->party].role != PartyRole::kOperator) {
    return Error::client(ErrorKind::kForbidden,
                         "This endpoint needs an operator key (a key of a party whose role is "
                         "operator).");
  }
  return key;
}

}  // namespace accord
