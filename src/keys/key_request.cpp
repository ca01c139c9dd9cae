#include "keys/key_request.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/decimal.h"
#include "core/rfc3339.h"
#include "core/strings.h"

namespace accord {
namespace {

namespace od = simdjson::ondemand;

Error invalid(std::string_view param, std::string message) {
  return Error::client(ErrorKind::kInvalidRequest, std::move(message), std::string(param));
}

Error not_json() {
  return Error::client(ErrorKind::kInvalidJson, "The body is not a JSON object.");
}

// Iterates the members of the object in `body` ("" or whitespace: none).
template <typename F>
Status for_each_member(std::string_view body, F&& f) {
  if (body.find_first_not_of(" \t\r\n") == std::string_view::npos) return Status();
  const simdjson::padded_string padded(body);
  simdjson::dom::parser strict;  // the whole body is JSON (on-demand reads only what it visits)
  simdjson::dom::object whole;
  if (strict.parse(padded).get_object().get(whole)) return not_json();
  od::parser parser;
  od::document doc;
  od::object root;
  if (parser.iterate(padded).get(doc) || doc.get_object().get(root)) return not_json();
  for (auto field : root) {
    std::string_view key;
    od::value value;
    if (field.unescaped_key().get(key) || field.value().get(value)) return not_json();
    if (Status s = f(key, value); !s.ok()) return s;
  }
  return Status();
}

Result<std::string> read_string(od::value& v, std::string_view key) {
  std::string_view s;
  if (v.get_string().get(s)) return invalid(key, fmt::format("'{}' must be a string.", key));
  return std::string(s);
}

Result<int64_t> read_positive(od::value& v, std::string_view key) {
  int64_t n = 0;
  if (v.get_int64().get(n) || n <= 0) {
    return invalid(key, fmt::format("'{}' must be a positive integer.", key));
  }
  return n;
}

}  // namespace

Result<CreateKeyRequest> read_create_key_request(std::string_view body) {
  CreateKeyRequest r;
  Status s = for_each_member(body, [&](std::string_view key, od::value& v) -> Status {
    bool is_null = false;
    if (!v.is_null().get(is_null) && is_null) return Status();  // null: the default
    if (key == "party" || key == "name" || key == "role") {
      auto text = read_string(v, key);
      if (!text.ok()) return text.take_error();
      if (key == "party") {
        r.party = std::move(text.value());
      } else if (key == "name") {
        if (text.value().size() > 200) return invalid(key, "'name' is longer than 200 bytes.");
        r.name = std::move(text.value());
      } else if (text.value() == "admin") {
        r.role = KeyRole::kAdmin;
      } else if (text.value() != "customer") {
        return invalid(key, "'role' must be 'customer' or 'admin'.");
      }
    } else if (key == "expires_at") {
      int64_t seconds = 0;
      std::string_view text;
      if (!v.get_int64().get(seconds) && seconds > 0) {
        r.expires_at = seconds * 1000;
      } else if (!v.get_string().get(text) && parse_rfc3339(text)) {
        r.expires_at = *parse_rfc3339(text);
      } else {
        return invalid(key, "'expires_at' must be an RFC 3339 time or Unix seconds.");
      }
    } else if (key == "models") {
      od::array list;
      if (v.get_array().get(list)) return invalid(key, "'models' must be a list of model names.");
      for (auto item : list) {
        std::string_view name;
        if (item.get_string().get(name) || name.empty()) {
          return invalid(key, "'models' must be a list of model names.");
        }
        r.models.emplace_back(name);
      }
    } else if (key == "rpm" || key == "tpm") {
      auto n = read_positive(v, key);
      if (!n.ok()) return n.take_error();
      (key == "rpm" ? r.limits.rpm : r.limits.tpm) = n.value();
    } else if (key == "budget_usd_per_month") {
      od::json_type type{};
      if (v.type().get(type) || type != od::json_type::number) {
        return invalid(key, "'budget_usd_per_month' must be a number.");
      }
      const auto micros = parse_decimal_micros(trim(v.raw_json_token()));
      if (!micros || *micros < 0) {
        return invalid(key, "'budget_usd_per_month' must be a non-negative decimal.");
      }
      r.limits.budget_micro_usd_per_month = *micros;
    } else {
      return invalid(key, fmt::format("Unknown field '{}'.", key));
    }
    return Status();
  });
  if (!s.ok()) return s.take_error();
  return r;
}

Result<int64_t> read_rotate_key_request(std::string_view body) {
  int64_t grace_ms = 0;
  Status s = for_each_member(body, [&](std::string_view key, od::value& v) -> Status {
    if (key != "grace_seconds") return invalid(key, fmt::format("Unknown field '{}'.", key));
    int64_t n = 0;
    if (v.get_int64().get(n) || n < 0 || n > kMaxGraceSeconds) {
      return invalid(
          key, fmt::format("'grace_seconds' must be an integer from 0 to {}.", kMaxGraceSeconds));
    }
    grace_ms = n * 1000;
    return Status();
  });
  if (!s.ok()) return s.take_error();
  return grace_ms;
}

}  // namespace accord
