#include "translate/responses_response.h"

#include "translate/responses_internal.h"

namespace accord {

using namespace responses_detail;  // NOLINT(google-build-using-namespace)

namespace {

Error bad_completion(std::string_view why) {
  return Error::upstream(ErrorKind::kUpstreamError,
                         std::string("The upstream's chat completion ") + std::string(why), false);
}

// A message's content: a string, null, or (some backends) an array of text parts.
std::string content_text(dom::object message) {
  dom::element content;
  std::string_view s;
  if (message["content"].get(content) || is_null(content)) return {};
  if (!content.get_string().get(s)) return std::string(s);
  std::string text;
  dom::array parts;
  if (content.get_array().get(parts)) return text;
  for (dom::element part : parts) {
    if (!part["text"].get_string().get(s)) text.append(s);
  }
  return text;
}

// A tool call's arguments: a string, or (some backends) the JSON object itself.
std::string arguments_text(dom::object function) {
  dom::element arguments;
  std::string_view s;
  if (function["arguments"].get(arguments) || is_null(arguments)) return {};
  if (!arguments.get_string().get(s)) return std::string(s);
  return raw_json(arguments);
}

}  // namespace

Result<TranslatedResponse> chat_to_response(std::string_view chat_completion_json,
                                            const ResponseMeta& meta) {
  thread_local dom::parser parser;
  dom::element root_element;
  if (parser.parse(chat_completion_json.data(), chat_completion_json.size()).get(root_element)) {
    return bad_completion("is not valid JSON.");
  }
  dom::object root;
  if (root_element.get_object().get(root)) return bad_completion("is not a JSON object.");
  if (std::optional<Error> error = upstream_error_in(root)) return std::move(*error);
  dom::array choices;
  dom::object choice, message;
  if (root["choices"].get_array().get(choices) || choices.size() == 0) {
    return bad_completion("has no choices.");
  }
  if ((*choices.begin()).get_object().get(choice) || choice["message"].get_object().get(message)) {
    return bad_completion("has no message.");
  }

  const std::string text = content_text(message);
  std::string_view refusal, finish_reason, service_tier;
  const bool has_refusal = !message["refusal"].get_string().get(refusal);
  read_into(choice["finish_reason"].get_string(), finish_reason);
  read_into(root["service_tier"].get_string(), service_tier);

  std::vector<AnsweredToolCall> calls;
  dom::array tool_calls;
  if (!message["tool_calls"].get_array().get(tool_calls)) {
    for (dom::element call : tool_calls) {
      AnsweredToolCall answered;
      std::string_view s;
      dom::object function;
      if (!call["id"].get_string().get(s)) answered.call_id = s;
      if (answered.call_id.empty()) {
        answered.call_id = output_item_id(meta, "call", static_cast<int64_t>(calls.size()));
      }
      if (!call["function"].get_object().get(function)) {
        if (!function["name"].get_string().get(s)) answered.name = s;
        answered.arguments = arguments_text(function);
      }
      calls.push_back(std::move(answered));
    }
  }

  TranslatedResponse out;
  dom::element usage;
  if (!root["usage"].get(usage)) out.usage = read_chat_usage(usage);
  std::string_view reason;
  if (finish_reason == "length") reason = "max_output_tokens";
  if (finish_reason == "content_filter") reason = "content_filter";
  out.incomplete = !reason.empty();
  const std::string_view item_status = out.incomplete ? "incomplete" : "completed";

  std::string output = "[";
  int64_t n = 0;
  if (!text.empty() || has_refusal || calls.empty()) {
    std::vector<OutputPart> parts;
    if (!text.empty() || !has_refusal) {
      OutputPart part{false, text, {}};
      dom::array logprobs;
      if (meta.include_logprobs && !choice["logprobs"]["content"].get_array().get(logprobs)) {
        part.logprobs_json = array_items(raw_json(logprobs));
      }
      parts.push_back(std::move(part));
    }
    if (has_refusal) parts.push_back({true, std::string(refusal), {}});
    std::string item;
    const std::string id = output_item_id(meta, "msg", n++);
    append_message_item(item, id, item_status, parts);
    output.append(item);
    out.output_items.push_back({id, std::move(item)});
  }
  for (const AnsweredToolCall& call : calls) {
    std::string item;
    const std::string id = output_item_id(meta, "fc", n++);
    append_function_call_item(item, id, item_status, call.call_id, call.name, call.arguments);
    if (output.size() > 1) output.push_back(',');
    output.append(item);
    out.output_items.push_back({id, std::move(item)});
  }
  output.push_back(']');

  ResponseState state;
  state.status = out.incomplete ? "incomplete" : "completed";
  state.incomplete_reason = reason;
  state.output_json = output;
  state.usage = &out.usage;
  state.service_tier = service_tier;
  append_response(out.body, meta, state);
  out.output_messages_json =
      assistant_messages_json(text, has_refusal ? refusal : std::string_view(), calls);
  return out;
}

}  // namespace accord
