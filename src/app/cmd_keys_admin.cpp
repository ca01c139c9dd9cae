// `accord keys list|revoke|rotate`: the keys API of a running gateway, from the command line.
#include <fmt/format.h>
#include <simdjson.h>

#include "app/admin_client.h"
#include "app/commands.h"

namespace accord {
namespace {

namespace dom = simdjson::dom;

AdminTarget target_of(const KeysAdminOptions& o) {
  AdminTarget t;
  t.url = o.url;
  t.key_env = o.admin_key_env;
  t.key_file = o.admin_key_file;
  return t;
}

// The gateway's answer, or 1 after printing why there is none (or its error).
std::optional<AdminReply> call(const KeysAdminOptions& o, std::string_view method,
                               std::string_view path, std::string_view body) {
  auto reply = admin_call(target_of(o), method, path, body);
  if (!reply.ok()) {
    fmt::print(stderr, "accord keys: {}\n", reply.error().message);
    return std::nullopt;
  }
  if (reply.value().status >= 300) {
    dom::parser parser;
    std::string_view message;
    if (parser.parse(reply.value().body)["error"]["message"].get_string().get(message)) {
      message = reply.value().body;
    }
    fmt::print(stderr, "accord keys: {} {}: {}\n", method, path, message);
    return std::nullopt;
  }
  return std::move(reply.value());
}

std::string text_or(dom::element e, std::string_view fallback) {
  std::string_view s;
  if (!e.get_string().get(s)) return std::string(s);
  int64_t n = 0;
  if (!e.get_int64().get(n)) return std::to_string(n);
  return std::string(fallback);
}

}  // namespace

int run_keys_list(const KeysAdminOptions& o) {
  const auto reply = call(o, "GET", "/admin/keys", "");
  if (!reply) return 1;
  if (o.json) {
    fmt::print("{}\n", reply->body);
    return 0;
  }
  dom::parser parser;
  dom::array keys;
  if (parser.parse(reply->body)["data"].get_array().get(keys)) {
    fmt::print(stderr, "accord keys: the gateway's answer is not a key list\n");
    return 1;
  }
  fmt::print("{:<22} {:<14} {:<9} {:<10} {:<11} {}\n", "ID", "PARTY", "ROLE", "SOURCE",
             "EXPIRES_AT", "NAME");
  for (dom::element k : keys) {
    fmt::print("{:<22} {:<14} {:<9} {:<10} {:<11} {}\n", text_or(k["id"], ""),
               text_or(k["party"], ""), text_or(k["role"], ""), text_or(k["source"], ""),
               text_or(k["expires_at"], "-"), text_or(k["name"], ""));
  }
  return 0;
}

int run_keys_revoke(const KeysAdminOptions& o) {
  if (!call(o, "DELETE", "/admin/keys/" + o.id, "")) return 1;
  fmt::print("revoked {}\n", o.id);
  return 0;
}

int run_keys_rotate(const KeysAdminOptions& o) {
  const auto reply = call(o, "POST", "/admin/keys/" + o.id + "/rotate",
                          fmt::format(R"({{"grace_seconds":{}}})", o.grace_seconds));
  if (!reply) return 1;
  dom::parser parser;
  std::string_view key;
  if (parser.parse(reply->body)["key"].get_string().get(key)) {
    fmt::print(stderr, "accord keys: the gateway's answer has no key\n");
    return 1;
  }
  fmt::print(
      "# The new key of {}, shown this once (the old one works for {} more second(s)):\n{}\n", o.id,
      o.grace_seconds, key);
  return 0;
}

}  // namespace accord
