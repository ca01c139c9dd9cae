#include "openai/response_usage.h"

#include <simdjson.h>

#include <string>

namespace accord {

namespace od = simdjson::ondemand;

namespace {

// Upstream bytes are not padded: copy into a per-thread padded buffer (chunks are small; a whole
// completion is copied once).
simdjson::padded_string_view padded(std::string_view json) {
  thread_local std::string buffer;
  buffer.assign(json);
  buffer.reserve(json.size() + simdjson::SIMDJSON_PADDING);
  return simdjson::padded_string_view(buffer.data(), buffer.size(), buffer.capacity());
}

}  // namespace

std::optional<UpstreamUsage> find_usage(std::string_view json) {
  thread_local od::parser parser;
  od::document doc;
  if (parser.iterate(padded(json)).get(doc)) return std::nullopt;
  od::object root;
  if (doc.get_object().get(root)) return std::nullopt;
  UpstreamUsage usage;
  bool found = false;
  bool has_choices = false;
  for (auto field : root) {
    std::string_view key;
    if (field.unescaped_key().get(key)) return std::nullopt;
    od::value v;
    if (field.value().get(v)) return std::nullopt;
    if (key == "choices") {
      od::array choices;
      if (v.get_array().get(choices)) continue;
      size_t n = 0;
      if (choices.count_elements().get(n)) return std::nullopt;
      has_choices = n > 0;
    } else if (key == "usage") {
      od::object u;
      if (v.get_object().get(u)) continue;  // null
      for (auto uf : u) {
        std::string_view ukey;
        if (uf.unescaped_key().get(ukey)) return std::nullopt;
        int64_t n = 0;
        if (ukey == "prompt_tokens" && !uf.value().get_int64().get(n)) {
          usage.prompt_tokens = n;
        } else if (ukey == "completion_tokens" && !uf.value().get_int64().get(n)) {
          usage.completion_tokens = n;
        } else if (ukey == "prompt_tokens_details") {
          od::object details;
          if (uf.value().get_object().get(details)) continue;  // null
          for (auto d : details) {
            std::string_view dkey;
            if (d.unescaped_key().get(dkey)) return std::nullopt;
            if (dkey == "cached_tokens" && !d.value().get_int64().get(n)) usage.cached_tokens = n;
          }
        }
      }
      found = true;
    }
  }
  if (!found) return std::nullopt;
  usage.choices_empty = !has_choices;
  return usage;
}

bool is_json_object(std::string_view json) {
  thread_local simdjson::dom::parser parser;
  simdjson::dom::element element;
  if (parser.parse(padded(json)).get(element)) return false;
  return element.is_object();
}

}  // namespace accord
