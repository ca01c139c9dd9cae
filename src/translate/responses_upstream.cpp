#include "translate/responses_upstream.h"

#include <fmt/format.h>
#include <simdjson.h>

#include "core/json_writer.h"

namespace accord {
namespace {

namespace dom = simdjson::dom;

Error bad_answer(std::string_view what) {
  return Error::upstream(ErrorKind::kUpstreamError,
                         fmt::format("The upstream's Responses answer {}.", what), false);
}

int64_t int_at(dom::object object, std::string_view key) {
  int64_t n = 0;
  if (object[key].get_int64().get(n)) return 0;
  return n;
}

// The Response's usage as a Chat usage chunk; "{}" when it has none.
std::string usage_chunk(dom::object response) {
  dom::object usage;
  if (response["usage"].get_object().get(usage)) return "{}";
  int64_t cached = 0;
  dom::object details;
  if (!usage["input_tokens_details"].get_object().get(details)) {
    cached = int_at(details, "cached_tokens");
  }
  std::string out;
  JsonWriter w(out);
  w.begin_object().key("choices").begin_array().end_array();
  w.key("usage").begin_object();
  w.field("prompt_tokens", int_at(usage, "input_tokens"));
  w.field("completion_tokens", int_at(usage, "output_tokens"));
  w.key("prompt_tokens_details").begin_object().field("cached_tokens", cached).end_object();
  w.end_object().end_object();
  return out;
}

}  // namespace

Result<std::string> response_usage_as_chat(std::string_view response_json) {
  thread_local dom::parser parser;
  dom::object response;
  if (parser.parse(response_json.data(), response_json.size()).get_object().get(response)) {
    return bad_answer("is not a JSON object");
  }
  return usage_chunk(response);
}

std::string read_response_id(std::string_view response_json) {
  thread_local dom::parser parser;
  std::string_view id;
  if (parser.parse(response_json.data(), response_json.size())["id"].get_string().get(id)) {
    return {};
  }
  return std::string(id);
}

Result<RelayedResponseEvent> read_relayed_response_event(std::string_view data) {
  thread_local dom::parser parser;
  dom::object event;
  if (parser.parse(data.data(), data.size()).get_object().get(event)) {
    return bad_answer("has an event that is not a JSON object");
  }
  std::string_view type;
  if (event["type"].get_string().get(type)) return bad_answer("has an event without a type");
  RelayedResponseEvent out;
  out.sequence_number = -1;
  int64_t n = 0;
  if (!event["sequence_number"].get_int64().get(n)) out.sequence_number = n;
  if (type == "error") {
    // Both shapes OpenAI has used: message at the top, or under "error".
    std::string_view message;
    dom::object nested;
    if (event["message"].get_string().get(message) && !event["error"].get_object().get(nested)) {
      if (nested["message"].get_string().get(message)) message = {};
    }
    return Error::upstream(ErrorKind::kUpstreamError,
                           message.empty() ? std::string("The upstream's stream reported an error.")
                                           : std::string(message),
                           false);
  }
  if (type != "response.completed" && type != "response.incomplete" && type != "response.failed") {
    return out;
  }
  dom::object response;
  if (event["response"].get_object().get(response)) {
    return bad_answer(fmt::format("has a {} event without its response", type));
  }
  out.final = true;
  out.response_json = simdjson::minify(response);
  out.usage_chat_json = usage_chunk(response);
  return out;
}

}  // namespace accord
