#include "keys/key_admin.h"

#include <fmt/format.h>

#include "core/crypto.h"
#include "core/json_writer.h"
#include "keys/key_json.h"
#include "keys/key_request.h"
#include "keys/key_secret.h"
#include "policy/entitle.h"

namespace accord {
namespace {

Error invalid(std::string param, std::string message) {
  return Error::client(ErrorKind::kInvalidRequest, std::move(message), std::move(param));
}

Error forbidden(std::string message) {
  return Error::client(ErrorKind::kForbidden, std::move(message));
}

Error no_such_key(std::string_view id) {
  return Error::client(ErrorKind::kRouteNotFound, fmt::format("No API key with id '{}'.", id));
}

std::string new_key_id() {
  uint8_t bytes[8];
  random_bytes(bytes);
  return "key_" + to_hex(bytes);
}

// A party admin's key may not exceed its party's own limits (or its tier's).
Status within_party_limits(const Agreement& a, PartyId party, const Limits& asked) {
  const Party& p = a.parties[party];
  const Tier* tier = a.tier_of(party);
  auto cap = [&](const std::optional<int64_t> Limits::*field) -> std::optional<int64_t> {
    if (p.limits.*field) return p.limits.*field;
    return tier != nullptr ? tier->limits.*field : std::nullopt;
  };
  const std::pair<const char*, std::optional<int64_t> Limits::*> fields[] = {
      {"rpm", &Limits::rpm},
      {"tpm", &Limits::tpm},
      {"budget_usd_per_month", &Limits::budget_micro_usd_per_month}};
  for (const auto& [name, field] : fields) {
    const auto limit = cap(field);
    if (asked.*field && limit && *(asked.*field) > *limit) {
      return invalid(name, fmt::format("'{}' is above party '{}''s own limit.", name, p.name));
    }
  }
  return Status();
}

std::string create_detail(const ManagedKey& k) {
  std::string out;
  JsonWriter w(out);
  w.begin_object()
      .field("name", k.name)
      .field("role", k.role == KeyRole::kAdmin ? "admin" : "customer");
  w.key("models").begin_array();
  for (const std::string& m : k.models) w.value(m);
  w.end_array();
  w.field("expires_at", k.expires_at / 1000);
  w.end_object();
  return out;
}

KeyAnswer key_answer(int status, const ManagedKey& key, std::string_view secret) {
  KeyAnswer answer{status, {}};
  JsonWriter w(answer.body);
  write_managed_key(w, key, secret);
  return answer;
}

}  // namespace

Status KeyAdmin::load() {
  const std::lock_guard lock(mu_);
  auto stored = store_.active();
  if (!stored.ok()) return stored.take_error();
  keys_ = std::move(stored.value());
  agreements_.publish_keys(keys_);
  return Status();
}

AuditEntry KeyAdmin::audit_entry(const KeyCaller& caller, std::string_view action,
                                 const ManagedKey& key) const {
  AuditEntry e;
  e.at = clock_.wall_now();
  e.actor_key = caller.key_id;
  e.actor_party = caller.party;
  e.action = action;
  e.key_id = key.id;
  e.party = key.party;
  e.address = caller.address;
  return e;
}

Result<KeyAnswer> KeyAdmin::create(const KeyCaller& caller, std::string_view body) {
  auto request = read_create_key_request(body);
  if (!request.ok()) return request.take_error();
  CreateKeyRequest& r = request.value();
  const auto snapshot = agreements_.current();
  const Agreement& a = *snapshot->agreement;
  const std::string party_name = r.party.value_or(caller.party);
  const auto party = a.find_party(party_name);
  if (!party) return invalid("party", fmt::format("No party '{}' in the agreement.", party_name));
  const UnixMillis now = clock_.wall_now();
  if (!caller.is_operator) {
    if (party_name != caller.party) {
      return forbidden("A party's admin key manages its own party's keys only.");
    }
    if (r.role == KeyRole::kAdmin) return forbidden("Only an operator key can make admin keys.");
    if (Status s = within_party_limits(a, *party, r.limits); !s.ok()) return s.take_error();
  }
  for (const std::string& name : r.models) {
    const auto model = a.find_model(name);
    const Entitlement e = model ? entitlement(a, *party, *model, now) : Entitlement::kHidden;
    if (e == Entitlement::kHidden || e == Entitlement::kNotForTier) {
      return invalid("models",
                     fmt::format("Party '{}' may not call a model '{}'.", party_name, name));
    }
  }
  if (r.expires_at != 0 && r.expires_at <= now) {
    return invalid("expires_at", "'expires_at' is in the past.");
  }
  const std::string secret = new_api_key();
  ManagedKey key;
  key.id = new_key_id();
  key.party = party_name;
  key.name = std::move(r.name);
  key.role = r.role;
  key.sha256 = sha256(secret);
  key.created_at = now;
  key.expires_at = r.expires_at;
  key.models = std::move(r.models);
  key.limits = r.limits;
  key.created_by = caller.key_id;
  AuditEntry audit = audit_entry(caller, "create", key);
  audit.detail_json = create_detail(key);
  const std::lock_guard lock(mu_);
  if (Status s = store_.put(key, audit); !s.ok()) return s.take_error();
  keys_.push_back(key);
  agreements_.publish_keys(keys_);
  return key_answer(201, key, secret);
}

Result<KeyAnswer> KeyAdmin::list(const KeyCaller& caller) {
  const auto snapshot = agreements_.current();
  const Agreement& a = *snapshot->agreement;
  KeyAnswer answer;
  JsonWriter w(answer.body);
  w.begin_object().field("object", "list").key("data").begin_array();
  for (const ApiKey& k : a.keys) {
    if (k.managed || (!caller.is_operator && a.parties[k.party].name != caller.party)) continue;
    write_agreement_key(w, a, k);
  }
  {
    const std::lock_guard lock(mu_);
    for (const ManagedKey& k : keys_) {
      if (caller.is_operator || k.party == caller.party) write_managed_key(w, k);
    }
  }
  w.end_array().end_object();
  return answer;
}

Result<ManagedKey*> KeyAdmin::find_for(const KeyCaller& caller, std::string_view id) {
  for (ManagedKey& k : keys_) {
    if (k.id == id && (caller.is_operator || k.party == caller.party)) return &k;
  }
  const auto snapshot = agreements_.current();
  for (const ApiKey& k : snapshot->agreement->keys) {
    if (k.id == id && !k.managed &&
        (caller.is_operator || snapshot->agreement->parties[k.party].name == caller.party)) {
      return invalid("id", fmt::format("The key '{}' is defined in the agreement file: change "
                                       "it there and reload.",
                                       id));
    }
  }
  return no_such_key(id);  // another party's key is not found either
}

Result<KeyAnswer> KeyAdmin::rotate(const KeyCaller& caller, std::string_view id,
                                   std::string_view body) {
  auto grace_ms = read_rotate_key_request(body);
  if (!grace_ms.ok()) return grace_ms.take_error();
  const std::lock_guard lock(mu_);
  auto found = find_for(caller, id);
  if (!found.ok()) return found.take_error();
  ManagedKey rotated = *found.value();
  const UnixMillis now = clock_.wall_now();
  const std::string secret = new_api_key();
  rotated.previous_sha256 = rotated.sha256;
  rotated.previous_valid_until = now + grace_ms.value();
  rotated.sha256 = sha256(secret);
  AuditEntry audit = audit_entry(caller, "rotate", rotated);
  audit.detail_json = fmt::format(R"({{"grace_seconds":{}}})", grace_ms.value() / 1000);
  if (Status s = store_.put(rotated, audit); !s.ok()) return s.take_error();
  *found.value() = rotated;
  agreements_.publish_keys(keys_);
  return key_answer(200, rotated, secret);
}

Result<KeyAnswer> KeyAdmin::revoke(const KeyCaller& caller, std::string_view id) {
  const std::lock_guard lock(mu_);
  auto found = find_for(caller, id);
  if (!found.ok()) return found.take_error();
  const ManagedKey& key = *found.value();
  auto revoked = store_.revoke(key.id, audit_entry(caller, "revoke", key));
  if (!revoked.ok()) return revoked.take_error();
  KeyAnswer answer;
  JsonWriter w(answer.body);
  w.begin_object().field("id", key.id).field("object", "api_key").field("deleted", true);
  w.end_object();
  keys_.erase(keys_.begin() + (found.value() - keys_.data()));
  agreements_.publish_keys(keys_);
  return answer;
}

Result<KeyAnswer> KeyAdmin::audit(const KeyCaller& caller, int64_t limit) {
  auto rows = store_.audit(caller.is_operator ? std::string_view() : caller.party, limit);
  if (!rows.ok()) return rows.take_error();
  KeyAnswer answer;
  JsonWriter w(answer.body);
  w.begin_object().field("object", "list").key("data").begin_array();
  for (const AuditEntry& e : rows.value()) write_audit_entry(w, e);
  w.end_array().end_object();
  return answer;
}

}  // namespace accord
