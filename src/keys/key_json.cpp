#include "keys/key_json.h"

#include "core/decimal.h"

namespace accord {
namespace {

void seconds_or_null(JsonWriter& w, std::string_view key, UnixMillis t) {
  w.key(key);
  if (t == 0) {
    w.null();
  } else {
    w.value(t / 1000);
  }
}

void limits(JsonWriter& w, const Limits& l) {
  w.key("rpm");
  if (l.rpm) {
    w.value(*l.rpm);
  } else {
    w.null();
  }
  w.key("tpm");
  if (l.tpm) {
    w.value(*l.tpm);
  } else {
    w.null();
  }
  w.key("budget_usd_per_month");
  if (l.budget_micro_usd_per_month) {
    w.raw(format_micros(*l.budget_micro_usd_per_month));
  } else {
    w.null();
  }
}

const char* role_name(KeyRole role) {
  return role == KeyRole::kAdmin ? "admin" : "customer";
}

}  // namespace

void write_managed_key(JsonWriter& w, const ManagedKey& key, std::string_view secret) {
  w.begin_object().field("id", key.id).field("object", "api_key").field("source", "api");
  w.field("party", key.party).field("name", key.name).field("role", role_name(key.role));
  w.field("created_at", key.created_at / 1000);
  seconds_or_null(w, "expires_at", key.expires_at);
  w.key("models");
  if (key.models.empty()) {
    w.null();
  } else {
    w.begin_array();
    for (const std::string& m : key.models) w.value(m);
    w.end_array();
  }
  limits(w, key.limits);
  seconds_or_null(w, "previous_key_valid_until",
                  key.previous_sha256 ? key.previous_valid_until : 0);
  if (!secret.empty()) w.field("key", secret);
  w.end_object();
}

void write_agreement_key(JsonWriter& w, const Agreement& agreement, const ApiKey& key) {
  w.begin_object().field("id", key.id).field("object", "api_key").field("source", "agreement");
  w.field("party", agreement.parties[key.party].name).field("name", key.name);
  w.field("role", role_name(key.role));
  w.key("created_at").null();
  seconds_or_null(w, "expires_at", key.expires_at);
  w.key("models").null();
  limits(w, key.limits);
  w.key("previous_key_valid_until").null();
  w.end_object();
}

void write_audit_entry(JsonWriter& w, const AuditEntry& e) {
  w.begin_object().field("seq", e.seq).field("object", "audit_entry").field("at", e.at / 1000);
  w.field("actor_key", e.actor_key).field("actor_party", e.actor_party);
  w.field("action", e.action).field("key_id", e.key_id).field("party", e.party);
  w.field("address", e.address);
  w.key("detail").raw(e.detail_json);
  w.end_object();
}

}  // namespace accord
